"""Fixtures for the invoice storage suite: every test runs on SQLite and PostgreSQL.

* `invoice_db_url`: parametrised `sqlite` (a file in tmp_path, copied from a migrated
  template) and `postgres` (a session database, its invoice tables emptied before each test,
  marked `postgres`; skipped with the reason when the server cannot be reached).
* `store`: an `InvoiceStore` on it. `folder`: a copy of the sample knowledge folder.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import NullPool, create_engine, text

from bot.invoices.store import InvoiceStore
from bot.storage.database import Database
from tests.conftest import SAMPLE_KNOWLEDGE
from tests.unit.tickets.ticket_db import migrated_postgres, migrated_sqlite

# Children first, so deleting never trips a foreign key.
INVOICE_TABLES = (
    "invoice_imports",
    "invoice_reasons",
    "invoice_holds",
    "invoices",
    "invoice_rejections",
    "invoice_lines",
    "invoice_sources",
)


@pytest.fixture(scope="session")
def invoice_postgres_url() -> Iterator[str]:
    yield from migrated_postgres()


@pytest.fixture(scope="session")
def invoice_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return migrated_sqlite(tmp_path_factory.mktemp("invoice-template") / "billing.db")


def empty_invoices(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for table in INVOICE_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def invoice_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "billing.db"
        shutil.copy(request.getfixturevalue("invoice_sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("invoice_postgres_url")
    empty_invoices(url)
    return url


@pytest.fixture
def store(invoice_db_url: str) -> Iterator[InvoiceStore]:
    db = Database.from_url(invoice_db_url)
    try:
        yield InvoiceStore(db)
    finally:
        db.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return shutil.copytree(SAMPLE_KNOWLEDGE, tmp_path / "knowledge")
