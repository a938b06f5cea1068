"""The schema: Alembic migrations shipped in the package, applied by `TicketStore.from_url`."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import bot.collections.models  # (so do the collections tables)
import bot.invoices.models  # noqa: F401  (the invoice tables share the schema)
from bot.conversation.turns import TurnNote
from bot.errors import ConfigError
from bot.storage.database import MIGRATIONS, make_engine, upgrade
from bot.storage.models import Base
from bot.storage.stores import Storage
from bot.tickets.store import TicketStore
from bot.types import Reply, ReplyKind
from tests.unit.tickets.ticket_db import create_schema, drop_schema
from tests.unit.tickets.ticket_twins import StepClock

HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nobody has migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = create_schema(request.getfixturevalue("postgres_url"))
    try:
        yield url
    finally:
        drop_schema(url)


def test_the_models_and_the_migrations_describe_the_same_schema(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    upgrade(engine)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert differences == []


def test_concurrent_first_starts_migrate_once(fresh_url: str) -> None:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            TicketStore.from_url(fresh_url).close()
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    engine = make_engine(fresh_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [(HEAD,)]
    engine.dispose()


def test_reopening_keeps_the_data(fresh_url: str) -> None:
    with TicketStore.from_url(fresh_url) as store, store.database.write() as session:
        number = store.open_in(
            session,
            customer_id="contoso",
            category="refund",
            route="partner",
            question="?",
            transcript=[],
            evidence=[],
            channel="teams",
            conversation="c",
        ).number
    with TicketStore.from_url(fresh_url) as again:
        assert again.get(number).customer_id == "contoso"


def test_the_migrations_go_down_and_up_again(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    upgrade(engine)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert {"tickets", "outbox", "inbound_events"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_a_missing_sqlite_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "state" / "nested" / "billing.db"
    with TicketStore.from_url(f"sqlite:///{path}") as store:
        assert store.find() == []
    assert path.is_file()


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("mysql://db/billing", "unsupported database 'mysql'"),
        ("sqlite://", "in-memory SQLite"),
        ("sqlite:///:memory:", "in-memory SQLite"),
        ("not a url", "not a database URL"),
    ],
)
def test_an_unusable_database_url_is_named(url: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        TicketStore.from_url(url)


def test_0003_keeps_the_newest_of_several_active_tickets_of_one_conversation(
    fresh_url: str,
) -> None:
    engine = make_engine(fresh_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0002")
        for question in ("first click", "second click"):  # the race 0003 closes
            conn.execute(
                text(
                    "INSERT INTO tickets (customer_id, category, route, status, question, "
                    "transcript, evidence, channel, conversation, created_at, updated_at) "
                    "VALUES ('contoso', 'human', 'partner', 'open', :q, '[]', '[]', 'teams', "
                    "'a:1', :now, :now)"
                ),
                {"q": question, "now": "2026-11-20 10:00:00"},
            )
    upgrade(engine)
    engine.dispose()

    with TicketStore.from_url(fresh_url) as store:
        older, newer = store.find()
        assert (older.status, newer.status) == ("resolved", "open")
        [event] = store.events(older.number)
        assert event.text == f"one active ticket per conversation: continued in {newer.number}"


def test_0012_gives_the_turns_stored_before_it_the_episodes_their_writes_give(
    fresh_url: str,
) -> None:
    clock = StepClock(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    storage = Storage.from_url(fresh_url, clock=clock)

    def turn(conversation: str, after_hours: float) -> None:
        clock.advance(after_hours * 3600)
        with storage.db.transaction() as conn:
            storage.turns.record_in(
                conn,
                channel="teams",
                conversation=conversation,
                note=TurnNote("contoso", "policy"),
                reply=Reply("…", ReplyKind.ANSWER),
                offered=False,
            )

    turn("a", 0)
    turn("b", 0.5)  # another conversation, meanwhile: its own episode
    turn("a", 1)
    turn("a", 25)  # a day of silence: a new episode
    with storage.db.write() as session:
        ticket = storage.tickets.open_in(
            session,
            customer_id="contoso",
            category="billing_dispute",
            route="partner_billing",
            question="…",
            transcript=(),
            evidence=(),
            channel="teams",
            conversation="b",
        )
    clock.advance(3600)
    with storage.db.write() as session:
        storage.tickets.resolve_in(session, ticket.number, "agent-ana")
    turn("b", 1)  # after its ticket was resolved: a new episode
    turn("b", 1)
    with storage.db.engine.connect() as conn:
        written = conn.execute(text("SELECT id, episode FROM turns ORDER BY id")).all()
    storage.close()
    assert [episode for _, episode in written] == [1, 2, 1, 4, 5, 5]

    engine = make_engine(fresh_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0011")
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, episode FROM turns ORDER BY id")).all() == written
    engine.dispose()
