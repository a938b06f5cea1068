"""PostgreSQL test databases: a fresh `billing_test_<random>` per session, so parallel runs
never collide, emptied between tests and dropped at the end."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
TABLES = "tickets, ticket_events, outbox, inbound_events, conversations, feedback"


def create_database() -> str:
    """Create an empty database and return its URL (raises if the server is unreachable)."""
    name = f"billing_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
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


def empty_postgres(url: str) -> None:
    """Delete every row and restart the numbering (the next ticket is BILL-1001 again)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()
