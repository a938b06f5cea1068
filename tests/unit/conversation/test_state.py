"""Conversation state: a value that survives a round trip through its stored JSON."""

from datetime import UTC, datetime, timedelta

from bot.conversation.state import ConversationState, PendingOffer, Shown
from bot.understanding import intents as I

NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def test_the_state_round_trips_through_json():
    state = ConversationState(
        language="es",
        shown=Shown(I.SHOW, ("NW-2026-0418",), "Microsoft 365 Copilot", None, ("X",)),
        pending_offer=PendingOffer("billing_dispute", "too many licences", NOW),
        transcript=(("customer", "hola"), ("bot", "¡Hola!")),
        customer="contoso",
    )
    assert ConversationState.from_json(state.to_json()) == state


def test_an_unreadable_state_is_a_fresh_one():
    assert ConversationState.from_json("{not json") == ConversationState()
    assert ConversationState.from_json(None) == ConversationState()


def test_an_escalation_intent_is_kept_and_one_no_longer_known_is_forgotten():
    dispute = ConversationState(shown=Shown(I.escalate_intent("billing_dispute")))
    assert ConversationState.from_json(dispute.to_json()) == dispute
    stored = {"shown": {"intent": "invoice.renamed", "invoices": ["NW-2026-0418"]}}
    assert ConversationState.from_json(stored).shown == Shown(None, ("NW-2026-0418",))


def test_an_offer_expires():
    offer = PendingOffer("human_request", "q", NOW + timedelta(minutes=30))
    state = ConversationState(pending_offer=offer)
    assert state.offer(NOW) == offer
    assert state.offer(NOW + timedelta(hours=1)) is None


def test_the_transcript_keeps_the_latest_lines():
    state = ConversationState()
    for n in range(30):
        state = state.said("customer", f"message {n}")
    assert len(state.transcript) == 20 and state.transcript[-1] == ("customer", "message 29")
    assert state.said("bot", "") == state  # nothing said, nothing kept


def test_what_was_shown_before_is_remembered_for_comparisons():
    first = Shown(I.SHOW, ("NW-1",))
    assert first.then(Shown(I.SHOW, ("NW-2",))).earlier == ("NW-1",)
