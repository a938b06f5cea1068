"""Fixtures for the ticket storage suite: every storage test runs on SQLite and PostgreSQL
(`database_url`, tests/unit/conftest.py).

* `storage`: a `Storage` on `database_url` whose clock is the test's `clock`;
  `store`: its `TicketStore`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from ticket_twins import StepClock

from bot.storage import Storage
from bot.tickets import TicketStore
from bot.tickets.database import Database


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
