"""TicketStore on SQLite and PostgreSQL: tickets, their history and the outbox rows each
change implies, written together or not at all."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import event
from ticket_twins import StepClock

from bot.errors import InvalidTransition, TicketError
from bot.tickets.status import Status
from bot.tickets.store import TicketStore
from bot.tickets.values import OutboxEntry, Ticket
from bot.types import TicketInfo


def open_one(store: TicketStore, **overrides: Any) -> Ticket:
    fields: dict[str, Any] = {
        "customer_id": "contoso",
        "category": "refund",
        "route": "partner",
        "question": "Can I get a refund for the seats I removed?",
        "transcript": [("customer", "Can I get a refund?"), ("bot", "I'm not sure.")],
        "evidence": ["policies/refunds.md#2", "INV-2025-03 line 4"],
        "channel": "teams",
        "conversation": "a:conv-1",
    }
    fields.update(overrides)
    with store.database.write() as session:
        return store.open_in(session, **fields)


def rows(store: TicketStore, number: str | None = None) -> list[OutboxEntry]:
    return [e for e in store.outbox.entries() if number is None or e.number == number]


# --- opening ---------------------------------------------------------------------------


def test_opening_a_ticket_records_it_and_queues_the_agents_post(
    store: TicketStore, clock: StepClock
) -> None:
    ticket = open_one(store)

    assert ticket.number == "BILL-1001"
    assert ticket.status == "open"
    assert ticket.assignee is None and ticket.thread is None
    assert ticket.created_at == ticket.updated_at == clock.now
    assert [(e.author, e.text) for e in ticket.transcript] == [
        ("customer", "Can I get a refund?"),
        ("bot", "I'm not sure."),
    ]
    assert store.get("BILL-1001") == ticket

    [post] = rows(store)
    assert (post.channel, post.conversation, post.event, post.status) == (
        "slack",
        "",
        "ticket_opened",
        "pending",
    )
    snapshot = post.body["ticket"]
    assert post.body["number"] == "BILL-1001"
    for field in ("customer_id", "category", "route", "status", "assignee", "question"):
        assert snapshot[field] == getattr(ticket, field)
    assert snapshot["evidence"] == ["policies/refunds.md#2", "INV-2025-03 line 4"]
    assert [line["text"] for line in snapshot["transcript"]] == [
        "Can I get a refund?",
        "I'm not sure.",
    ]


def test_numbers_count_up_from_bill_1001(store: TicketStore) -> None:
    numbers = [open_one(store, conversation=f"c{i}").number for i in range(3)]
    assert numbers == ["BILL-1001", "BILL-1002", "BILL-1003"]


def test_concurrent_openings_get_distinct_consecutive_numbers(database_url: str) -> None:
    stores = [TicketStore.from_url(database_url) for _ in range(4)]  # four "replicas"
    numbers: list[str] = []
    lock = threading.Lock()

    def work(store: TicketStore, worker: int) -> None:
        for i in range(10):
            number = open_one(store, conversation=f"w{worker}-{i}").number
            with lock:
                numbers.append(number)

    threads = [threading.Thread(target=work, args=(s, i)) for i, s in enumerate(stores * 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()

    assert sorted(numbers, key=lambda n: int(n[5:])) == [f"BILL-{n}" for n in range(1001, 1081)]


def test_info_is_what_a_customer_sees(store: TicketStore) -> None:
    ticket = open_one(store)
    assert ticket.info("within 4 business hours") == TicketInfo(
        number="BILL-1001",
        category="refund",
        route="partner",
        status="open",
        expected_reply="within 4 business hours",
    )


def test_customer_text_is_masked_before_it_is_stored(store: TicketStore) -> None:
    ticket = open_one(
        store,
        question="Charge card 4111 1111 1111 1111 again",
        transcript=[("customer", "my password is hunter2"), ("bot", "ok")],
    )
    with store.database.write() as session:
        ticket = store.add_customer_message_in(
            session, ticket.number, "IBAN DE89 3704 0044 0532 0130 00"
        )

    stored = store.get(ticket.number)
    assert stored.question == "Charge card [card ****1111] again"
    texts = [e.text for e in stored.transcript]
    assert texts == ["my password is [redacted]", "ok", "IBAN [IBAN ****3000]"]
    everything = repr([e.body for e in rows(store)]) + repr(store.events(ticket.number))
    for secret in ("4111 1111", "hunter2", "DE89 3704"):
        assert secret not in everything


# --- state changes -----------------------------------------------------------------------


def test_claiming_assigns_the_agent_and_writes_an_event(
    store: TicketStore, clock: StepClock
) -> None:
    number = open_one(store).number
    clock.advance(60)

    with store.database.write() as session:
        ticket = store.claim_in(session, number, "ana")

    assert (ticket.status, ticket.assignee, ticket.updated_at) == ("claimed", "ana", clock.now)
    last = store.events(number)[-1]
    assert (last.kind, last.actor, last.from_status, last.to_status, last.at) == (
        "status",
        "ana",
        "open",
        "claimed",
        clock.now,
    )


def test_a_refused_change_raises_and_writes_nothing(store: TicketStore) -> None:
    number = open_one(store).number
    with store.database.write() as session:
        store.claim_in(session, number, "ana")
    before_events, before_rows = store.events(number), rows(store)

    with (
        pytest.raises(InvalidTransition, match=r"BILL-1001.*from claimed to claimed.*ana"),
        store.database.write() as session,
    ):
        store.claim_in(session, number, "ben")
    with (
        pytest.raises(InvalidTransition, match="BILL-1001: cannot go from claimed to reopened"),
        store.database.write() as session,
    ):
        store.reopen_in(session, number, "ben")

    assert store.get(number).assignee == "ana"
    assert store.events(number) == before_events
    assert rows(store) == before_rows


def test_unclaim_puts_the_ticket_back_in_the_queue(store: TicketStore) -> None:
    number = open_one(store).number
    with store.database.write() as session:
        store.claim_in(session, number, "ana")
    with store.database.write() as session:
        ticket = store.unclaim_in(session, number, "ana")
    assert (ticket.status, ticket.assignee) == ("open", None)


def test_a_customer_answer_brings_a_waiting_ticket_back_to_its_agent(
    store: TicketStore,
) -> None:
    number = open_one(store).number
    with store.database.write() as session:
        store.claim_in(session, number, "ana")
    with store.database.write() as session:
        assert store.wait_on_customer_in(session, number, "ana").status == "waiting_on_customer"

    with store.database.write() as session:
        ticket = store.add_customer_message_in(
            session, number, "Here is the invoice number: G012345678"
        )

    assert (ticket.status, ticket.assignee) == ("claimed", "ana")
    assert ticket.transcript[-1].author == "customer"
    assert ticket.transcript[-1].text == "Here is the invoice number: G012345678"
    kinds = [(e.kind, e.actor, e.to_status) for e in store.events(number)][-2:]
    assert kinds == [("customer_message", "customer", None), ("status", "customer", "claimed")]
    relayed = [e for e in rows(store) if e.event == "customer_message"]
    assert [(e.channel, e.body["text"]) for e in relayed] == [
        ("slack", "Here is the invoice number: G012345678")
    ]


def test_an_agent_reply_goes_to_the_customer_and_an_internal_note_does_not(
    store: TicketStore,
) -> None:
    number = open_one(store).number

    with store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "Refund approved, see your next invoice.")
    with store.database.write() as session:
        ticket = store.add_agent_reply_in(
            session, number, "ana", "checked with finance", internal=True
        )

    to_customer = [e for e in rows(store) if e.channel == "teams"]
    assert [(e.event, e.conversation, e.body["text"], e.body["agent"]) for e in to_customer] == [
        ("agent_reply", "a:conv-1", "Refund approved, see your next invoice.", "ana")
    ]
    assert "checked with finance" not in repr([e.body for e in to_customer])
    assert [(e.author, e.internal) for e in ticket.transcript[-2:]] == [
        ("agent:ana", False),
        ("agent:ana", True),
    ]
    # Answering an unclaimed ticket claims it for the agent who answered.
    assert (ticket.status, ticket.assignee) == ("claimed", "ana")
    assert [e.kind for e in store.events(number)] == [
        "opened",
        "agent_reply",
        "status",
        "internal_note",
    ]


def test_every_change_refreshes_the_agents_post(store: TicketStore) -> None:
    number = open_one(store).number
    with store.database.write() as session:
        store.claim_in(session, number, "ana")
    with store.database.write() as session:
        store.change_category_in(session, number, "credit", "microsoft", "ana")

    updates = [e for e in rows(store) if e.event == "ticket_updated"]
    assert [e.body["ticket"]["status"] for e in updates] == ["claimed", "claimed"]
    assert updates[-1].body["ticket"]["category"] == "credit"
    assert updates[-1].body["ticket"]["route"] == "microsoft"
    assert {e.channel for e in updates} == {"slack"}


def test_resolving_tells_the_customer_and_frees_the_conversation(store: TicketStore) -> None:
    number = open_one(store).number
    assert store.open_ticket_for("teams", "a:conv-1") == store.get(number)

    with store.database.write() as session:
        store.resolve_in(session, number, "ana")

    resolved = [e for e in rows(store) if e.event == "ticket_resolved"]
    assert [(e.channel, e.conversation, e.body["ticket"]["status"]) for e in resolved] == [
        ("teams", "a:conv-1", "resolved")
    ]
    assert store.open_ticket_for("teams", "a:conv-1") is None
    with (
        pytest.raises(TicketError, match="BILL-1001 is resolved"),
        store.database.write() as session,
    ):
        store.add_customer_message_in(session, number, "one more thing")

    with store.database.write() as session:
        reopened = store.reopen_in(session, number, "customer")
    assert reopened.status == "reopened"
    assert store.open_ticket_for("teams", "a:conv-1") == reopened
    with store.database.write() as session:
        assert store.claim_in(session, number, "ben").status == "claimed"


def test_open_ticket_for_picks_the_conversations_newest_active_ticket(
    store: TicketStore,
) -> None:
    first = open_one(store)
    with store.database.write() as session:
        store.resolve_in(session, first.number, "ana")
    second = open_one(store)
    open_one(store, conversation="someone-else")

    found = store.open_ticket_for("teams", "a:conv-1")
    assert found is not None and found.number == second.number
    assert store.open_ticket_for("slack", "a:conv-1") is None


def test_unknown_and_malformed_numbers_are_named(store: TicketStore) -> None:
    with pytest.raises(TicketError, match="no ticket BILL-9999"):
        store.get("BILL-9999")
    with pytest.raises(TicketError, match="no ticket BILL-9999"), store.database.write() as session:
        store.claim_in(session, "BILL-9999", "ana")
    with pytest.raises(TicketError, match="no ticket INV-12"):
        store.events("INV-12")


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("customer_id", "", "customer_id is empty"),
        ("category", "  ", "category is empty"),
        ("conversation", "x" * 501, "conversation is 501 characters long; at most 500 fit"),
    ],
)
def test_bad_ticket_fields_are_refused_by_name(
    store: TicketStore, field: str, value: str, complaint: str
) -> None:
    with pytest.raises(TicketError, match=complaint):
        open_one(store, **{field: value})
    assert store.find() == []


def test_empty_messages_are_refused(store: TicketStore) -> None:
    number = open_one(store).number
    with (
        pytest.raises(TicketError, match="an empty reply from ana on BILL-1001"),
        store.database.write() as session,
    ):
        store.add_agent_reply_in(session, number, "ana", " ")
    with (
        pytest.raises(TicketError, match="an empty customer message for BILL-1001"),
        store.database.write() as session,
    ):
        store.add_customer_message_in(session, number, "")
    assert [e.kind for e in store.events(number)] == ["opened"]


def test_numbers_are_read_in_any_case(store: TicketStore) -> None:
    open_one(store)
    assert store.get("bill-1001").number == "BILL-1001"
    with store.database.write() as session:
        store.claim_in(session, "bill-1001", "ana")
    with (
        pytest.raises(InvalidTransition, match="BILL-1001: cannot go from claimed to claimed"),
        store.database.write() as session,
    ):
        store.claim_in(session, " bill-1001 ", "ben")


def test_find_filters_by_status_customer_and_assignee(store: TicketStore) -> None:
    a = open_one(store, customer_id="contoso", conversation="a:1").number
    b = open_one(store, customer_id="fabrikam", conversation="b:1").number
    c = open_one(store, customer_id="contoso", conversation="a:2").number
    with store.database.write() as session:
        store.claim_in(session, b, "ana")
    with store.database.write() as session:
        store.claim_in(session, c, "ben")

    def numbers(**filters: Any) -> list[str]:
        return [t.number for t in store.find(**filters)]

    assert numbers() == [a, b, c]
    assert numbers(status=Status.CLAIMED) == [b, c]
    assert numbers(customer_id="contoso") == [a, c]
    assert numbers(assignee="ben") == [c]
    assert numbers(status=Status.RESOLVED) == []
    # An unknown status name is refused where it is read (`parse_status`, test_ticket_status).


def test_concurrent_messages_on_one_ticket_all_land_in_the_transcript(
    database_url: str,
) -> None:
    with TicketStore.from_url(database_url) as store:
        number = open_one(store).number

        def say(worker: int) -> None:
            with TicketStore.from_url(database_url) as replica:
                for i in range(5):
                    with replica.database.write() as session:
                        replica.add_customer_message_in(session, number, f"message {worker}.{i}")

        threads = [threading.Thread(target=say, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        said = [e.text for e in store.get(number).transcript if e.author == "customer"][1:]
        assert sorted(said) == sorted(f"message {w}.{i}" for w in range(4) for i in range(5))
        assert len([e for e in rows(store) if e.event == "customer_message"]) == 20


# --- atomicity ---------------------------------------------------------------------------


def fail_on_outbox_insert(store: TicketStore) -> Callable[[], None]:
    """Make the database refuse the next outbox insert, as a crash mid-transaction would."""

    def refuse(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO OUTBOX"):
            raise RuntimeError("connection lost while writing the outbox")

    event.listen(store.engine, "before_cursor_execute", refuse)
    return lambda: event.remove(store.engine, "before_cursor_execute", refuse)


def test_a_ticket_is_never_stored_without_its_outbox_row(store: TicketStore) -> None:
    restore = fail_on_outbox_insert(store)
    with pytest.raises(RuntimeError, match="connection lost"):
        open_one(store)
    restore()

    assert store.find() == []
    assert rows(store) == []
    assert open_one(store).number in ("BILL-1001", "BILL-1002")  # PostgreSQL may skip one


def test_a_message_is_never_recorded_without_being_queued(store: TicketStore) -> None:
    number = open_one(store).number
    before = store.get(number)

    restore = fail_on_outbox_insert(store)
    with pytest.raises(RuntimeError, match="connection lost"), store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "Refund approved")
    restore()

    assert store.get(number) == before
    assert [e.kind for e in store.events(number)] == ["opened"]
    assert [e.event for e in rows(store)] == ["ticket_opened"]
