"""Each customer turn is noted for the resolution report in the turn's own commit: the kind
of reply, the intent understood, its topic and ticket; a redelivery is not noted twice, an
agent's question and an unknown tenant's message are not noted at all."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.app import Assistant, build_assistant
from bot.storage.models import TurnRow
from bot.types import Action, Message, Role
from tests.conftest import NOW

FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"


@pytest.fixture
def assistant(settings, flaky_embedder) -> Assistant:
    return build_assistant(settings, embedder=flaky_embedder, clock=lambda: NOW)


def teams(text: str, event_id: str, value: dict[str, object] | None = None) -> Message:
    return Message(
        text,
        channel="teams",
        conversation="conv-1",
        user_id="u1",
        tenant_id=FABRIKAM_TENANT,
        event_id=event_id,
        value=value,
    )


def turns(assistant: Assistant) -> list[Any]:
    with assistant.storage.db.engine.connect() as conn:
        return list(conn.execute(select(TurnRow.__table__).order_by(TurnRow.id)))


def test_a_look_up_is_noted_with_its_intent_as_topic(assistant):
    assistant.respond(teams("When is my invoice due?", "a1"))
    assistant.respond(teams("When is my invoice due?", "a1"))  # a redelivery
    [row] = turns(assistant)
    assert (row.customer_id, row.kind, row.language) == ("fabrikam", "invoice", "en")
    assert row.intent == row.topic and row.intent is not None
    assert row.intent.startswith("invoice.")
    assert row.ticket_id is None and not row.offered


def test_an_escalation_is_noted_with_its_ticket(assistant):
    reply = assistant.handle(teams("talk to a person", "b1"))
    [row] = turns(assistant)
    assert reply.ticket is not None
    assert row.kind == "escalate" and row.ticket_id == int(reply.ticket.number.split("-")[1])
    assert row.topic == f"ticket:{reply.ticket.category}"


def test_a_thumbs_up_is_noted_as_helpful(assistant):
    value = {"action": str(Action.FEEDBACK), "helpful": True, "about": "x.md"}
    assistant.respond(teams("", "c1", value))
    [row] = turns(assistant)
    assert (row.kind, row.intent) == ("feedback", "feedback.helpful")


def test_agents_are_not_noted(assistant):
    assistant.respond(
        Message("who is overdue?", channel="slack", conversation="d", role=Role.AGENT)
    )
    assert turns(assistant) == []
