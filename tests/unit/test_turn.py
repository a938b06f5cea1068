"""One incoming event, one transaction: what a turn commits, what a failed turn leaves (nothing)
and what a redelivery of the same event gets."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from bot.app import Assistant, build_assistant
from bot.conversation.state import ConversationState, Shown
from bot.storage.turn import INLINE_LEASE
from bot.types import Message, Reply, ReplyKind
from bot.understanding import intents as I
from tests.conftest import NOW, FlakyEmbedder

FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"


@pytest.fixture
def assistant(settings, flaky_embedder) -> Assistant:
    return build_assistant(settings, embedder=flaky_embedder, clock=lambda: NOW)


def teams(text: str, event_id: str = "act-1", conversation: str = "conv-1") -> Message:
    return Message(
        text,
        channel="teams",
        conversation=conversation,
        user_id="u1",
        tenant_id=FABRIKAM_TENANT,
        event_id=event_id,
    )


def test_the_reply_is_committed_as_an_outbox_row_claimed_for_the_inline_send(assistant):
    handled = assistant.respond(teams("When is my invoice due?"))

    assert handled.reply.kind is ReplyKind.INVOICE and not handled.repeat
    assert handled.delivery is not None
    [row] = assistant.storage.outbox.entries()
    assert (row.key, row.event, row.status) == ("reply:teams:act-1", "reply", "pending")
    assert (row.channel, row.conversation) == ("teams", "conv-1")
    assert Reply.from_json(row.body["reply"]).to_json() == handled.reply.to_json()
    assert row.body["question"] == "When is my invoice due?"
    # Leased to this process: the dispatcher leaves it alone while the inline send runs.
    assert (
        assistant.storage.outbox.claim(
            ["teams"], now=NOW, lease=INLINE_LEASE, limit=5, defer=timedelta(0)
        )
        == []
    )


def test_a_redelivery_after_the_reply_went_out_sends_nothing(assistant):
    first = assistant.respond(teams("When is my invoice due?"))
    assistant.storage.outbox.delivered(first.delivery, "activity-1", now=NOW)

    again = assistant.respond(teams("When is my invoice due?"))

    assert again.repeat and again.delivery is None
    assert assistant.handle(teams("When is my invoice due?")).kind is ReplyKind.DUPLICATE


def test_a_redelivery_of_an_undelivered_reply_sends_it_once(assistant):
    first = assistant.respond(teams("I want to dispute invoice NW-2026-0466"))
    assistant.storage.outbox.failed(first.delivery, "connector: HTTP 500", retry_at=NOW)

    again = assistant.respond(teams("I want to dispute invoice NW-2026-0466"))
    meanwhile = assistant.respond(teams("I want to dispute invoice NW-2026-0466"))

    assert again.repeat and again.delivery is not None
    assert again.reply.to_json() == first.reply.to_json()  # the same answer and ticket
    assert meanwhile.delivery is None  # the first redelivery holds it
    assert len(assistant.tickets.find()) == 1


def test_a_transient_error_inside_the_turn_commits_nothing(assistant, flaky_embedder):
    flaky_embedder.fail_next()
    with pytest.raises(TimeoutError):
        assistant.respond(teams("What is your cancellation policy?"))

    assert assistant.storage.inbound.seen("teams", "act-1") is None
    assert assistant.storage.outbox.entries() == []
    assert assistant.storage.feedback.unanswered() == []

    handled = assistant.respond(teams("What is your cancellation policy?"))  # the redelivery
    assert not handled.repeat and handled.reply.text and handled.delivery is not None
    assert len(assistant.storage.outbox.entries()) == 1


def test_a_failed_escalation_leaves_no_ticket_and_its_redelivery_opens_one(assistant):
    storage = assistant.storage
    message = teams("I want to dispute invoice NW-2026-0466")
    with pytest.raises(RuntimeError), storage.turn(message, storage.before_turn(message)) as turn:
        turn.open_or_append(
            customer_id="fabrikam",
            category="billing_dispute",
            route="partner_billing",
            question=message.text,
            evidence=[],
        )
        raise RuntimeError("the process died before the commit")
    assert assistant.tickets.find() == []

    handled = assistant.respond(message)
    assert handled.reply.kind is ReplyKind.ESCALATE
    assert [t.number for t in assistant.tickets.find()] == [handled.reply.ticket.number]


def test_the_conversation_state_is_written_in_the_turns_commit(assistant):
    storage = assistant.storage
    message = teams("Hola", event_id="act-2")
    with storage.turn(message, storage.before_turn(message)) as turn:
        turn.state = replace(turn.state, language="es", shown=Shown(I.BALANCE, ("NW-1",)))
        turn.reply(Reply("¿Abro un ticket?", ReplyKind.NOT_SURE))

    kept = storage.conversations.state("teams", "conv-1")
    assert kept == ConversationState(language="es", shown=Shown(I.BALANCE, ("NW-1",)))
    again = teams("x", "act-3")
    with pytest.raises(RuntimeError), storage.turn(again, storage.before_turn(again)) as turn:
        turn.state = ConversationState()
        turn.reply(Reply("...", ReplyKind.NOT_SURE))
        raise RuntimeError("rolled back")
    assert storage.conversations.state("teams", "conv-1") == kept


class MessageMeanwhile(FlakyEmbedder):
    """The hashing twin; `during_next(message)`: while the assistant reads the next question
    (after its turn read the conversation, before it commits), `message` arrives in the same
    conversation and is handled in full, as a second message sent at once would be."""

    def __init__(self) -> None:
        super().__init__()
        self.meanwhile: Callable[[], object] | None = None

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        arrive, self.meanwhile = self.meanwhile, None
        if arrive is not None:
            arrive()
        return super().embed(texts)


def test_two_messages_at_once_both_stay_in_the_conversation(settings):
    embedder = MessageMeanwhile()
    assistant = build_assistant(settings, embedder=embedder, clock=lambda: NOW)
    second = teams("And what is your refund policy?", event_id="act-2")
    embedder.meanwhile = lambda: assistant.respond(second)

    first = assistant.respond(teams("What is your cancellation policy?"))

    assert first.reply.text and not first.repeat  # decided again over the second's exchange
    said = [text for who, text in assistant.storage.before_turn(second).state.transcript]
    assert "What is your cancellation policy?" in said
    assert "And what is your refund policy?" in said
    assert sorted(r.key for r in assistant.storage.outbox.entries()) == [
        "reply:teams:act-1",
        "reply:teams:act-2",
    ]


def test_the_welcome_is_a_turn_of_its_own_queued_once(assistant):
    message = Message(
        "",
        channel="teams",
        conversation="conv-9",
        tenant_id=FABRIKAM_TENANT,
        event_id="welcome:conv-9:2026-11-24",
    )

    first = assistant.greet(message)
    again = assistant.greet(message)  # the other install activity, the same day

    assert first.reply.kind is ReplyKind.WELCOME and first.delivery is not None
    assert "Fabrikam" in first.reply.text
    assert again.repeat and again.delivery is None  # the first still holds it
    [row] = assistant.storage.outbox.entries()
    assert (row.key, row.event, row.status) == (
        "reply:teams:welcome:conv-9:2026-11-24",
        "reply",
        "pending",
    )


def test_messages_without_an_event_id_queue_nothing(assistant):
    handled = assistant.respond(Message("When is my invoice due?", customer_id="fabrikam"))
    assert handled.reply.text and handled.delivery is None
    assert assistant.storage.outbox.entries() == []


async def test_a_reply_whose_process_died_after_the_commit_goes_out_once_the_lease_ends(
    assistant,
):
    from bot.channel import RecordingChannel
    from bot.delivery.dispatcher import Dispatcher

    committed = assistant.storage.db.now()  # the store's clock, which leases are read by
    assistant.respond(teams("When is my invoice due?"))  # committed; the inline send never ran
    teams_channel = RecordingChannel("teams")

    def dispatcher(seconds: float) -> Dispatcher:
        return Dispatcher(
            assistant.storage.tickets.outbox,
            {"teams": teams_channel},
            clock=lambda: committed + timedelta(seconds=seconds),
        )

    assert await dispatcher(INLINE_LEASE.total_seconds() - 1).run_once() == 0
    assert await dispatcher(INLINE_LEASE.total_seconds() + 0.5).run_once() == 1
    assert await dispatcher(INLINE_LEASE.total_seconds() + 60).run_once() == 0
    assert INLINE_LEASE.total_seconds() + 1 <= 10  # within 10 s, with a 1 s poll
    [sent] = teams_channel.delivered
    assert (sent.key, sent.event) == ("reply:teams:act-1", "reply")
    assert assistant.respond(teams("When is my invoice due?")).delivery is None
