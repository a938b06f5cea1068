"""The stores beside the tickets, on SQLite and PostgreSQL: inbound event ids (the inbox),
conversations (references and state), feedback, and pruning what is settled."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, text

from bot.conversation.state import ConversationState, PendingOffer, Shown
from bot.conversation.turns import TurnNote
from bot.reasons import Reason
from bot.storage.feedback import Vote
from bot.storage.stores import Storage
from bot.tickets.values import OutboxEntry
from bot.types import Reply, ReplyKind
from bot.understanding import intents as I
from tests.unit.tickets.ticket_twins import StepClock, open_refund_ticket


def rows(storage: Storage) -> list[OutboxEntry]:
    return storage.outbox.entries()


def test_a_platform_retry_is_recognised_as_a_duplicate(database_url: str) -> None:
    with Storage.from_url(database_url) as one, Storage.from_url(database_url) as two:
        assert one.inbound.first_delivery("slack", "Ev123") is True
        assert one.inbound.first_delivery("slack", "Ev123") is False
        assert two.inbound.first_delivery("slack", "Ev123") is False  # another replica
        assert two.inbound.first_delivery("teams", "Ev123") is True  # ids are per source
        assert two.inbound.first_delivery("slack", "Ev124") is True


def test_concurrent_redeliveries_are_first_exactly_once(database_url: str) -> None:
    results: list[bool] = []
    lock = threading.Lock()

    def receive() -> None:
        with Storage.from_url(database_url) as replica:
            first = replica.inbound.first_delivery("teams", "activity-1")
        with lock:
            results.append(first)

    threads = [threading.Thread(target=receive) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 5 + [True]


def test_conversation_references_are_upserted(storage: Storage) -> None:
    assert storage.conversations.reference("teams", "a:conv-1") is None

    storage.conversations.remember("teams", "a:conv-1", {"serviceUrl": "https://one"}, "contoso")
    storage.conversations.remember("teams", "a:conv-1", {"serviceUrl": "https://two"}, None)

    assert storage.conversations.reference("teams", "a:conv-1") == {"serviceUrl": "https://two"}
    assert storage.conversations.customer("teams", "a:conv-1") == "contoso"
    storage.conversations.remember("teams", "a:conv-1", {"serviceUrl": "https://two"}, "fabrikam")
    assert storage.conversations.customer("teams", "a:conv-1") == "fabrikam"


def test_feedback_is_kept(storage: Storage, clock: StepClock) -> None:
    with storage.db.write() as session:
        storage.feedback.vote_in(session, "teams", "a:conv-1", True, "How do I read my invoice?")
        storage.feedback.vote_in(session, "teams", "a:conv-1", False, "card 4111 1111 1111 1111")

    assert storage.feedback.votes() == [
        Vote("teams", "a:conv-1", True, "How do I read my invoice?", clock.now),
        Vote("teams", "a:conv-1", False, "card [card ****1111]", clock.now),
    ]
    unhelpful = storage.feedback.votes(helpful=False)
    assert [vote.about for vote in unhelpful] == ["card [card ****1111]"]


def test_a_thumbs_down_keeps_its_reason(storage: Storage, clock: StepClock) -> None:
    with storage.db.write() as session:
        storage.feedback.vote_in(session, "teams", "a:conv-1", False, "x", Reason.INCOMPLETE)
        storage.feedback.vote_in(session, "teams", "a:conv-1", False, "y")

    assert [v.reason for v in storage.feedback.votes()] == [Reason.INCOMPLETE, None]


def test_prune_forgets_old_delivery_records_but_never_undelivered_rows(
    storage: Storage, clock: StepClock
) -> None:
    storage.inbound.first_delivery("slack", "old-event")
    number = open_refund_ticket(storage.tickets).number
    with storage.tickets.database.write() as session:
        storage.tickets.add_agent_reply_in(session, number, "ana", "Approved.")
    [post] = storage.outbox.claim(
        ["slack"],
        now=clock.now,
        lease=timedelta(seconds=60),
        limit=1,
        defer=timedelta(seconds=1),
    )
    storage.outbox.delivered(post, "ts-1", now=clock.now)
    quiet = ConversationState(transcript=(("customer", "my old question"),))
    storage.conversations.remember("teams", "a:quiet", {"serviceUrl": "https://one"}, "contoso")
    with storage.db.write() as session:
        storage.conversations.save_state_in(session, "teams", "a:quiet", quiet, over=0)
    clock.advance(40 * 24 * 3600)
    storage.inbound.first_delivery("slack", "new-event")
    with storage.db.write() as session:
        storage.conversations.save_state_in(session, "teams", "a:recent", quiet, over=None)

    assert storage.prune(timedelta(days=30)) == (1, 1, 1, 0)

    assert storage.conversations.state("teams", "a:quiet") == ConversationState()  # aged out
    assert storage.conversations.reference("teams", "a:quiet") == {"serviceUrl": "https://one"}
    assert storage.conversations.state("teams", "a:recent") == quiet

    assert storage.inbound.first_delivery("slack", "old-event") is True  # forgotten
    assert storage.inbound.first_delivery("slack", "new-event") is False  # remembered
    assert [e.event for e in rows(storage)] == ["agent_reply", "ticket_updated"]  # pending: kept
    assert [e.kind for e in storage.tickets.events(number)] == ["opened", "agent_reply", "status"]


def test_conversation_state_is_kept_per_conversation(storage: Storage) -> None:
    assert storage.conversations.state("teams", "a:conv-1") == ConversationState()
    storage.conversations.remember("teams", "a:conv-1", {"serviceUrl": "https://one"}, None)
    expires = datetime(2026, 11, 24, 13, 30, tzinfo=UTC)
    offer = PendingOffer("refund_or_credit", "can I get a refund?", expires)
    state = ConversationState(language="es", shown=Shown(I.SHOW, ("NW-1",)), pending_offer=offer)

    with storage.db.write() as session:
        assert storage.conversations.save_state_in(session, "teams", "a:conv-1", state, over=0)
        assert storage.conversations.save_state_in(
            session, "teams", "a:never-wrote", state, over=None
        )

    assert storage.conversations.state("teams", "a:conv-1") == state
    assert storage.conversations.state("teams", "a:never-wrote") == state
    assert storage.conversations.state("teams", "a:conv-2") == ConversationState()
    # The reference survives a state change, and a state-only row has no reference.
    assert storage.conversations.reference("teams", "a:conv-1") == {"serviceUrl": "https://one"}
    assert storage.conversations.reference("teams", "a:never-wrote") is None


def test_an_inbound_event_keeps_what_handling_it_produced(storage: Storage) -> None:
    assert storage.inbound.seen("teams", "act-1") is None
    with storage.db.write() as session:
        assert storage.inbound.claim_in(session, "teams", "act-1")
        storage.inbound.finish_in(session, "teams", "act-1", {"outbox": "reply:teams:act-1"})

    assert storage.inbound.seen("teams", "act-1") == {"outbox": "reply:teams:act-1"}


def test_a_failed_transaction_leaves_no_mark(storage: Storage) -> None:
    try:
        with storage.db.write() as session:
            storage.inbound.claim_in(session, "slack", "Ev-9")
            raise RuntimeError("the relay failed")
    except RuntimeError:
        pass

    assert storage.inbound.seen("slack", "Ev-9") is None
    assert storage.inbound.first_delivery("slack", "Ev-9") is True


def test_concurrent_turns_reuse_the_pooled_connections(database_url: str) -> None:
    """As many turns at once as the pool's size reuse its connections: none opens and closes
    one of its own turn after turn (SQLAlchemy's default pool of 5 did, for the rest)."""
    turns_at_once, each = 8, 15
    opened: list[object] = []
    start = threading.Barrier(turns_at_once)
    with Storage.from_url(database_url, pool_size=turns_at_once) as storage:
        event.listen(storage.db.engine, "connect", lambda conn, _record: opened.append(conn))

        def turns(worker: int) -> None:
            start.wait()
            for n in range(each):
                storage.inbound.first_delivery("teams", f"activity-{worker}-{n}")

        threads = [threading.Thread(target=turns, args=(w,)) for w in range(turns_at_once)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert storage.db.engine.pool.size() == turns_at_once
    assert 0 < len(opened) <= turns_at_once


def test_prune_forgets_the_turns_older_than_their_own_retention(
    storage: Storage, clock: StepClock
) -> None:
    def turn(conversation: str) -> None:
        with storage.db.transaction() as conn:
            storage.turns.record_in(
                conn,
                channel="teams",
                conversation=conversation,
                note=TurnNote(customer_id="contoso", intent="policy"),
                reply=Reply("The invoice is due on the 5th.", ReplyKind.ANSWER, language="en"),
                offered=False,
            )

    turn("a:old")
    clock.advance(50 * 24 * 3600)
    turn("a:recent")

    assert storage.prune(timedelta(days=30)).turns == 0  # turns: only when asked
    assert storage.prune(timedelta(days=30), timedelta(days=40)).turns == 1
    with storage.db.engine.connect() as conn:
        left = conn.execute(text("SELECT conversation FROM turns")).scalars().all()
    assert left == ["a:recent"]
