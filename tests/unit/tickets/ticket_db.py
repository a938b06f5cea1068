"""PostgreSQL test databases: a fresh `billing_test_<random>` per session, so parallel runs
never collide, emptied between tests and dropped at the end."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import NullPool, create_engine, text

from bot.storage.database import make_engine, upgrade

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
# Children first, so deleting never trips a foreign key.
TABLES = (
    "collection_steps",
    "collection_pauses",
    "payment_claims",
    "outbox",
    "ticket_events",
    "tickets",
    "inbound_events",
    "conversations",
    "feedback",
    "unanswered",
    "turns",
)


def create_database() -> str:
    """Create an empty database and return its URL (raises if the server is unreachable)."""
    name = f"billing_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # Tests never survive a server crash; skipping the WAL flush per commit is safe
            # here and makes the suite several times faster.
            conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    finally:
        admin.dispose()
    return f"{PG_SERVER}/{name}"


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def create_schema(url: str) -> str:
    """An empty schema in the database at `url`; returns a URL that works inside it.

    Much cheaper than a new database, for tests that need a never-migrated one."""
    name = f"fresh_{uuid.uuid4().hex[:12]}"
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    finally:
        engine.dispose()
    return f"{url}?options=-csearch_path%3D{name}"


def drop_schema(schema_url: str) -> None:
    url, options = schema_url.split("?", 1)
    name = options.rsplit("%3D", 1)[1]
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    finally:
        engine.dispose()


def empty_postgres(url: str) -> None:
    """Delete every row and restart the numbering (the next ticket is BILL-1001 again).

    DELETE and a sequence reset are much faster than TRUNCATE on tables this small.
    """
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
            for table in TABLES:
                if table != "conversations":  # keyed by (channel, conversation)
                    start = 1001 if table == "tickets" else 1
                    conn.execute(
                        text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :start, false)"),
                        {"t": table, "start": start},
                    )
    finally:
        engine.dispose()


def migrated_postgres() -> Iterator[str]:
    """A session fixture's body: a fresh database migrated to head, dropped at the end; the
    tests are skipped, with the reason, when the server cannot be reached."""
    try:
        url = create_database()
    except Exception as exc:  # no server: say so once instead of failing every test
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    try:
        migrate(url)
        yield url
    finally:
        drop_database(url)


def migrated_sqlite(path: Path) -> Path:
    """A SQLite file at `path` migrated to head: the template each test copies."""
    migrate(f"sqlite:///{path}")
    return path


def migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
