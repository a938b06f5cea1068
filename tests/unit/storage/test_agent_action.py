"""`Storage.agent_action`: an agents' action is one transaction with the mark of the event
that asked for it, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.errors import TicketError
from bot.storage.stores import Storage
from bot.storage.turn import AlreadyHandled
from bot.tickets.status import Status
from tests.unit.tickets.ticket_twins import open_refund_ticket


def test_an_action_delivered_twice_changes_things_once(storage: Storage) -> None:
    number = open_refund_ticket(storage.tickets).number
    with storage.agent_action("slack", "action:1") as action:
        assert action.claim(number, "ana").status == Status.CLAIMED
    events, rows = storage.tickets.events(number), storage.outbox.entries()

    with pytest.raises(AlreadyHandled), storage.agent_action("slack", "action:1") as action:
        action.resolve(number, "ana")

    assert storage.tickets.get(number).status == Status.CLAIMED
    assert (storage.tickets.events(number), storage.outbox.entries()) == (events, rows)


def test_a_failed_action_leaves_neither_its_effects_nor_its_mark(storage: Storage) -> None:
    number = open_refund_ticket(storage.tickets).number
    with pytest.raises(TicketError), storage.agent_action("slack", "event:7") as action:
        action.add_agent_reply(number, "ana", "On it.")
        action.claim("BILL-9999", "ana")  # no such ticket: the reply goes too

    assert [e.kind for e in storage.tickets.events(number)] == ["opened"]
    with storage.agent_action("slack", "event:7") as action:  # delivered again: applied
        ticket = action.add_agent_reply(number, "ana", "On it.")
    assert (ticket.status, ticket.assignee) == (Status.CLAIMED, "ana")


def test_an_action_without_an_event_id_is_not_marked(storage: Storage) -> None:
    number = open_refund_ticket(storage.tickets).number
    for _ in range(2):
        with storage.agent_action("slack", None) as action:
            action.add_agent_reply(number, "ana", "A note.", internal=True)
    assert [e.kind for e in storage.tickets.events(number)][-2:] == ["internal_note"] * 2


def test_the_storage_has_one_outbox(storage: Storage) -> None:
    assert storage.tickets.outbox is storage.outbox
