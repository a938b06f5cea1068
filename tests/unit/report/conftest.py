"""Fixtures for the report suite: a `Storage` on SQLite and on PostgreSQL (the ticket suite's
databases), a clock that moves only when told, and a `Script` of one customer's turns."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from report_script import START, Script
from ticket_db import empty_postgres, migrated_postgres, migrated_sqlite
from ticket_twins import StepClock

from bot.storage import Storage
from bot.tickets.database import Database


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    yield from migrated_postgres()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite(tmp_path_factory.mktemp("template") / "billing.db")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "billing.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return url


@pytest.fixture
def clock() -> StepClock:
    return StepClock(START)


@pytest.fixture
def storage(database_url: str, clock: StepClock) -> Iterator[Storage]:
    with Storage(Database.from_url(database_url, clock=clock)) as opened:
        yield opened


@pytest.fixture
def script(storage: Storage, clock: StepClock) -> Script:
    return Script(storage, clock)
