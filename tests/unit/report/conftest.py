"""Fixtures for the report suite: a `Storage` on SQLite and on PostgreSQL (the ticket suite's
databases), a clock that moves only when told, and a `Script` of one customer's turns."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from report_script import START, Script
from ticket_twins import StepClock

from bot.storage import Storage
from bot.tickets.database import Database


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
