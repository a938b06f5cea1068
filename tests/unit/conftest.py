"""Fixtures for every storage test under tests/unit: each runs on SQLite and PostgreSQL.

* `postgres_url` (session): a fresh database `billing_test_<random>` on 127.0.0.1:5432,
  migrated to head, dropped at the end; tests are skipped (with the reason) if the server
  cannot be reached.
* `database_url`: parametrised `sqlite` (a file in tmp_path, copied from a migrated
  template) and `postgres` (the session database, emptied before each test, marked
  `postgres`).
* `clock`: a clock that moves only when told; `storage`: a `Storage` on `database_url` that
  reads that clock (the report suite starts its clock on its own day); `store`: its
  `TicketStore` (the invoice suite's `store` is its own).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.database import Database
from bot.storage.stores import Storage
from bot.tickets.store import TicketStore
from tests.unit.tickets.ticket_db import empty_postgres, migrated_postgres, migrated_sqlite
from tests.unit.tickets.ticket_twins import StepClock


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
    return StepClock()


@pytest.fixture
def storage(database_url: str, clock: StepClock) -> Iterator[Storage]:
    with Storage(Database.from_url(database_url, clock=clock)) as opened:
        yield opened


@pytest.fixture
def store(storage: Storage) -> TicketStore:
    return storage.tickets
