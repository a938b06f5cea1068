"""Fixtures for the report suite: the clock starts on the script's day (`storage`, on SQLite
and PostgreSQL, is tests/unit/conftest.py's), and a `Script` of one customer's turns."""

from __future__ import annotations

import pytest
from report_script import START, Script
from ticket_twins import StepClock

from bot.storage.stores import Storage


@pytest.fixture
def clock() -> StepClock:
    return StepClock(START)


@pytest.fixture
def script(storage: Storage, clock: StepClock) -> Script:
    return Script(storage, clock)
