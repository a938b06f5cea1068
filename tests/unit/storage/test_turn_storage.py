"""One turn's storage on SQLite and PostgreSQL: the read before it decides (one statement),
its one commit (on a connection; an ORM session is opened only for the verbs that need one),
the settling of its reply, and the prepared statements and pool they run on."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.conversation.state import ConversationState
from bot.delivery.outbox import OutboxStatus
from bot.storage.database import make_engine
from bot.storage.models import InboundEventRow, OutboxRow, TicketRow
from bot.storage.prepared import Prepared
from bot.storage.stores import BeforeTurn, Storage
from bot.storage.turn import AlreadyHandled, Handled, StaleTurn
from bot.types import Message, Reply, ReplyKind
from tests.unit.tickets.ticket_twins import StepClock


def teams(event_id: str, conversation: str = "a:conv-1", text: str = "refund please") -> Message:
    return Message(text, channel="teams", conversation=conversation, event_id=event_id)


def escalate(storage: Storage, message: Message, *, fail: bool = False) -> Handled:
    """A turn that opens a ticket (an ORM verb), keeps a state and replies."""
    before = storage.before_turn(message)
    with storage.turn(message, before) as turn:
        ticket, _opened = turn.open_or_append(
            customer_id="contoso",
            category="refund_or_credit",
            route="billing",
            question=message.text,
            evidence=("refunds.md › Refunds (0.71)",),
        )
        if fail:
            raise RuntimeError("the model server timed out")
        turn.state = ConversationState(language="es")
        return turn.reply(Reply(f"I've opened ticket {ticket.number}.", ReplyKind.ESCALATE))


def test_before_turn_reads_the_event_the_state_and_the_active_ticket(storage: Storage) -> None:
    first = teams("act-1")
    assert storage.before_turn(first) == BeforeTurn(None, ConversationState(), None)

    handled = escalate(storage, first)

    assert handled.delivery is not None
    again = storage.before_turn(first)  # a redelivery
    assert again.seen == {
        "reply": handled.reply.to_json(),
        "outbox": handled.delivery.outgoing.key,
    }
    assert again.state == ConversationState(language="es")
    assert again.owner is not None and again.owner.customer_id == "contoso"
    later = storage.before_turn(teams("act-2"))
    assert later.seen is None and later.owner == again.owner
    assert storage.before_turn(teams("act-3", "a:conv-2")) == BeforeTurn(
        None, ConversationState(), None
    )
    assert (
        storage.before_turn(Message("no id", channel="teams", conversation="a:conv-1")).seen is None
    )

    with storage.tickets.database.write() as session:
        storage.tickets.resolve_in(session, again.owner.number, "agent")
    assert storage.before_turn(teams("act-4")).owner is None  # resolved: nobody owns it


def test_an_event_marked_without_a_result_reads_as_seen(storage: Storage) -> None:
    assert storage.inbound.first_delivery("teams", "act-9")
    assert storage.before_turn(teams("act-9")).seen == {}


def test_a_turn_commits_its_ticket_its_state_and_its_reply_together(storage: Storage) -> None:
    handled = escalate(storage, teams("act-1"))

    assert handled.delivery is not None
    rows = storage.outbox.entries()
    # The ticket's post to the agents was written before the reply, as the verbs were called.
    assert [(r.channel, r.event) for r in rows] == [("slack", "ticket_opened"), ("teams", "reply")]
    assert rows[1].id == handled.delivery.id and rows[1].attempts == 1
    assert storage.conversations.state("teams", "a:conv-1") == ConversationState(language="es")
    assert storage.inbound.seen("teams", "act-1") is not None


def test_a_turn_that_fails_after_an_orm_verb_leaves_nothing(storage: Storage) -> None:
    with pytest.raises(RuntimeError):
        escalate(storage, teams("act-1"), fail=True)

    assert storage.tickets.find() == []
    assert storage.outbox.entries() == []
    assert storage.before_turn(teams("act-1")) == BeforeTurn(None, ConversationState(), None)
    assert escalate(storage, teams("act-1")).delivery is not None  # the redelivery does it all
    assert len(storage.tickets.find()) == 1


def test_racing_deliveries_of_one_event_commit_once(database_url: str) -> None:
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def deliver() -> None:
        with Storage.from_url(database_url) as replica:
            start.wait()
            try:
                escalate(replica, teams("act-1"))
                outcome = "handled"
            except AlreadyHandled:
                outcome = "duplicate"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["duplicate"] * 3 + ["handled"]
    with Storage.from_url(database_url) as storage:
        assert len(storage.tickets.find()) == 1
        assert [r.event for r in storage.outbox.entries()] == ["ticket_opened", "reply"]


def say(storage: Storage, message: Message, before: BeforeTurn) -> Handled:
    """A turn that adds the customer's words to the transcript and replies."""
    with storage.turn(message, before) as turn:
        turn.state = turn.state.said("customer", message.text)
        return turn.reply(Reply("noted", ReplyKind.ANSWER))


def test_a_turn_whose_state_changed_since_it_read_it_commits_nothing(storage: Storage) -> None:
    first, second = teams("act-1", text="first"), teams("act-2", text="second")
    read_by_first, read_by_second = storage.before_turn(first), storage.before_turn(second)

    say(storage, second, read_by_second)  # two messages at once: the second commits first
    with pytest.raises(StaleTurn):
        say(storage, first, read_by_first)

    assert storage.before_turn(first).seen is None  # the event can be handled again
    assert [r.key for r in storage.outbox.entries()] == ["reply:teams:act-2"]
    say(storage, first, storage.before_turn(first))  # decided again over what is there now
    assert storage.before_turn(first).state.transcript == (
        ("customer", "second"),
        ("customer", "first"),
    )


def test_the_first_turn_of_a_conversation_loses_to_one_that_created_it(storage: Storage) -> None:
    first, second = teams("act-1", text="first"), teams("act-2", text="second")
    read_by_first = storage.before_turn(first)
    assert read_by_first.version is None  # no row yet

    say(storage, second, storage.before_turn(second))

    with pytest.raises(StaleTurn):
        say(storage, first, read_by_first)
    assert storage.before_turn(first).state.transcript == (("customer", "second"),)


def test_an_inline_reply_is_settled_once(storage: Storage, clock: StepClock) -> None:
    handled = escalate(storage, teams("act-1"))
    assert handled.delivery is not None

    assert storage.outbox.delivered(handled.delivery, "teams-msg-1", now=clock())
    assert not storage.outbox.delivered(handled.delivery, "teams-msg-2", now=clock())
    reply = storage.outbox.entries(OutboxStatus.DELIVERED)
    assert [(r.key, r.delivered_at) for r in reply] == [(handled.delivery.outgoing.key, clock())]


def test_prepared_statements_bind_and_read_as_the_engine_does(storage: Storage) -> None:
    """UTC datetimes and JSON go through the columns' own types, both ways."""
    engine = storage.db.engine
    at = datetime(2026, 11, 24, 13, 0, 0, 123456, tzinfo=UTC)
    insert = Prepared(
        storage.db.insert(InboundEventRow)
        .values(
            source="teams",
            event_id=bindparam("b_event"),
            received_at=bindparam("b_at"),
            result=bindparam("b_result"),
        )
        .returning(InboundEventRow.id, InboundEventRow.received_at, InboundEventRow.result),
        engine.dialect,
    )
    result = {"reply": {"text": "¿Qué tal?", "table": None}, "outbox": None}
    with engine.begin() as conn:
        (row,) = insert.run(conn, {"b_event": "act-1", "b_at": at, "b_result": result})
        assert (row.received_at, row.result) == (at, result)
        # A driver error is raised as SQLAlchemy's, as `execute` would raise it.
        with pytest.raises(IntegrityError), conn.begin_nested():
            insert.run(conn, {"b_event": "act-1", "b_at": at, "b_result": None})

    query = select(InboundEventRow).where(InboundEventRow.event_id == bindparam("b_event"))
    with engine.connect() as conn:
        expected = conn.execute(query, {"b_event": "act-1"}).one()
        (got,) = Prepared(query, engine.dialect).run(conn, {"b_event": "act-1"})
    assert tuple(got) == tuple(expected)
    assert got.received_at.tzinfo is UTC


def test_a_prepared_text_statement_gives_the_drivers_rows_as_execute_does(
    storage: Storage,
) -> None:
    engine = storage.db.engine
    with engine.begin() as conn:
        conn.execute(
            insert(InboundEventRow).values(
                source="teams", event_id="act-9", received_at=datetime(2026, 11, 24, tzinfo=UTC)
            )
        )
    query = text("SELECT source, event_id FROM inbound_events WHERE event_id = :event")
    with engine.connect() as conn:
        expected = [tuple(row) for row in conn.execute(query, {"event": "act-9"})]
    with storage.db.single() as conn:
        got = Prepared(query, engine.dialect).run(conn, {"event": "act-9"})
    assert [tuple(row) for row in got] == expected == [("teams", "act-9")]


def test_prepared_statements_refuse_an_expanding_in(storage: Storage) -> None:
    query = select(OutboxRow.id).where(OutboxRow.status.in_(["pending", "dead"]))
    with pytest.raises(ValueError, match="IN lists"):
        Prepared(query, storage.db.engine.dialect)


@pytest.mark.postgres
def test_a_pooled_connection_that_died_while_idle_is_replaced(postgres_url: str) -> None:
    """The server restarted (or a proxy dropped the connection) while it sat in the pool."""

    def kill_pooled_connection(engine) -> None:  # type: ignore[no-untyped-def]
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with make_engine(postgres_url).connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    pinged = make_engine(postgres_url, ping_after_idle=0.0)
    kill_pooled_connection(pinged)
    with pinged.connect() as conn:
        assert conn.execute(select(TicketRow.id).limit(1)).all() == []
    pinged.dispose()

    trusted = make_engine(postgres_url, ping_after_idle=3600.0)  # never idle long enough
    kill_pooled_connection(trusted)
    with pytest.raises(OperationalError), trusted.connect() as conn:
        conn.execute(select(TicketRow.id).limit(1)).all()
    trusted.dispose()


def test_a_connection_lent_for_single_statements_returns_to_transactions(
    database_url: str,
) -> None:
    """On PostgreSQL a single statement runs in autocommit; the pooled connection must
    not keep it, or a later failed transaction would leave half its writes behind."""
    with Storage.from_url(database_url) as storage:  # used in sequence: one pooled connection
        storage.before_turn(teams("act-1"))
        with pytest.raises(RuntimeError), storage.db.write() as session:
            storage.inbound.claim_in(session, "teams", "act-7")
            raise RuntimeError("the turn failed")

        assert storage.inbound.seen("teams", "act-7") is None


def test_a_failed_single_statement_returns_its_connection_to_transactions(
    database_url: str,
) -> None:
    with Storage.from_url(database_url) as storage:
        handled = escalate(storage, teams("act-1"))
        assert handled.delivery is not None
        with pytest.raises(IntegrityError), storage.db.single() as conn:
            # The reply's row again: its key is taken.
            storage.outbox._insert_claimed.run(
                conn,
                {
                    "b_key": handled.delivery.outgoing.key,
                    "b_channel": "teams",
                    "b_conversation": "a:conv-1",
                    "b_event": "reply",
                    "b_body": {},
                    "b_now": datetime(2026, 11, 24, tzinfo=UTC),
                    "b_lease_until": None,
                    "b_claim_token": None,
                },
            )
        with pytest.raises(RuntimeError), storage.db.write() as session:
            storage.inbound.claim_in(session, "teams", "act-7")
            raise RuntimeError("the turn failed")

        assert storage.inbound.seen("teams", "act-7") is None
