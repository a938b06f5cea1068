"""One active ticket per conversation, decided by the database (a partial unique index) and
not by a check in Python: racing "talk to a person" clicks end with one ticket."""

from __future__ import annotations

import threading

import pytest
from ticket_twins import open_refund_ticket

from bot.app import build_assistant
from bot.errors import TicketError
from bot.retrieval.embedder import HashingEmbedder
from bot.storage.stores import Storage
from bot.tickets.store import TicketStore
from bot.types import Action, Message, ReplyKind

CONTOSO_TENANT = "4acb5c8a-11e8-482a-bb39-334f65bb0370"
PAIRS = 50


def test_fifty_concurrent_talk_to_a_person_pairs_open_one_ticket_each(
    database_url: str, settings
) -> None:
    storage = Storage.from_url(database_url)
    assistant = build_assistant(settings, embedder=HashingEmbedder(), storage=storage)
    start = threading.Barrier(2 * PAIRS)
    replies: list[ReplyKind] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def click(conversation: int, side: int) -> None:
        message = Message(
            "",
            channel="teams",
            conversation=f"a:chat-{conversation}",
            tenant_id=CONTOSO_TENANT,
            event_id=f"click-{conversation}-{side}",
            value={"action": Action.TALK_TO_PERSON, "question": f"Help {conversation}.{side}"},
        )
        start.wait()
        try:
            reply = assistant.handle(message)
        except BaseException as exc:  # reported below
            with lock:
                errors.append(exc)
            return
        with lock:
            replies.append(reply.kind)

    threads = [
        threading.Thread(target=click, args=(c, side)) for c in range(PAIRS) for side in (1, 2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    try:
        assert errors == []
        assert replies == [ReplyKind.ESCALATE] * (2 * PAIRS)
        tickets = storage.tickets.find()
        assert len(tickets) == PAIRS
        assert sorted(t.conversation for t in tickets) == sorted(
            f"a:chat-{c}" for c in range(PAIRS)
        )
        for ticket in tickets:  # both clicks are on the one ticket
            asked = [e.text for e in ticket.transcript if e.author == "customer"]
            number = ticket.conversation.removeprefix("a:chat-")
            assert sorted(asked) == [f"Help {number}.1", f"Help {number}.2"]
    finally:
        storage.close()


def test_a_second_active_ticket_for_a_conversation_is_refused(store: TicketStore) -> None:
    first = open_refund_ticket(store)
    with pytest.raises(TicketError, match="has an active ticket already"):
        open_refund_ticket(store)

    with store.database.write() as session:
        store.resolve_in(session, first.number, "ana")
    second = open_refund_ticket(store)  # resolved tickets do not count
    with (
        pytest.raises(TicketError, match="another active ticket"),
        store.database.write() as session,
    ):
        store.reopen_in(session, first.number, "customer")
    assert store.open_ticket_for("teams", "a:conv-1") == store.get(second.number)


def test_one_event_delivered_to_several_replicas_at_once_is_handled_once(
    database_url: str, settings
) -> None:
    replicas = [Storage.from_url(database_url) for _ in range(4)]
    assistants = [
        build_assistant(settings, embedder=HashingEmbedder(), storage=storage)
        for storage in replicas
    ]
    message = Message(
        "I want to dispute invoice NW-2026-0477",
        channel="teams",
        conversation="a:chat-x",
        tenant_id=CONTOSO_TENANT,
        event_id="activity-42",
    )
    start = threading.Barrier(len(assistants))
    results: list = []
    lock = threading.Lock()

    def deliver(assistant) -> None:
        start.wait()
        handled = assistant.respond(message)
        with lock:
            results.append(handled)

    threads = [threading.Thread(target=deliver, args=(a,)) for a in assistants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    try:
        assert len(results) == len(assistants)
        assert len([h for h in results if not h.repeat]) == 1  # handled by one replica
        assert len([h for h in results if h.delivery is not None]) == 1  # sent by one
        assert len(replicas[0].tickets.find()) == 1
        assert [e.event for e in replicas[0].outbox.entries()].count("reply") == 1
    finally:
        for storage in replicas:
            storage.close()
