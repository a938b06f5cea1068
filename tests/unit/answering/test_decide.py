"""`Answerer.decide` with the sample folder and a hashing embedder: the policy around the
intent classifier (escalation threshold, unknown words, the conversation's context)."""

from datetime import UTC, date, datetime

import numpy as np
import pytest

from bot.answering.decide import LOOKUP_AFTER_POLICY, _reread, _Turn, resolved_intent
from bot.app import build_assistant
from bot.config import load_settings
from bot.conversation.state import ConversationState, PendingOffer, Shown
from bot.retrieval.embedder import HashingEmbedder
from bot.types import ReplyKind
from bot.understanding import intents as I
from bot.understanding.intents import IntentGuess
from bot.understanding.slots import extract_slots
from tests.conftest import SAMPLE_KNOWLEDGE

TODAY = date(2026, 11, 24)
DISPUTE = "I want to dispute invoice NW-2026-0466"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    settings = load_settings(
        knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=tmp_path_factory.mktemp("state")
    )
    return build_assistant(settings, embedder=HashingEmbedder())


def test_the_escalation_threshold_decides_what_opens_a_ticket(built):
    answerer = built.answerer
    fabrikam = built.knowledge.customer("fabrikam")
    sure = answerer.intents.classify(DISPUTE, answerer.index.embed_query(DISPUTE)).confidence
    assert answerer.escalate_at == built.settings.escalation_threshold == 0.5 < sure
    assert answerer.decide(DISPUTE, fabrikam, today=TODAY).reply.kind is ReplyKind.ESCALATE
    answerer.escalate_at = 1.0  # ESCALATION_THRESHOLD=1: nothing is probable enough
    try:
        assert answerer.decide(DISPUTE, fabrikam, today=TODAY).reply.kind is not (
            ReplyKind.ESCALATE
        )
    finally:
        answerer.escalate_at = built.settings.escalation_threshold


def test_a_look_up_of_nothing_the_bot_knows_is_not_computed(built):
    answerer, contoso = built.answerer, built.knowledge.customer("contoso")
    text = "how many onions do we have on hand"
    guess = answerer.intents.classify(text, answerer.index.embed_query(text))
    assert guess.intent == "invoice.balance"  # the classifier alone would compute a balance
    assert answerer.known.unknown_share(text) >= 1 / 4
    decision = answerer.decide(text, contoso, today=TODAY)
    assert decision.reply.kind is ReplyKind.OUT_OF_SCOPE


def resolved_after(shown: Shown, text: str, intent: str, confidence: float) -> str | None:
    guess = IntentGuess(intent, confidence, ((intent, confidence),))
    return resolved_intent(guess, extract_slots(text), ConversationState(shown=shown), False)


def test_right_after_a_request_an_unsure_look_up_naming_its_invoice_asks_about_the_request():
    handed_over = Shown(I.escalate_intent("billing_dispute"), ("NW-2026-0466",))
    text = "so do we still have to pay the rest of october?"
    unsure, sure = LOOKUP_AFTER_POLICY - 0.1, LOOKUP_AFTER_POLICY + 0.1

    assert resolved_after(handed_over, text, "invoice.due", unsure) == "policy"
    assert resolved_after(handed_over, text, "invoice.due", sure) == "invoice.due"
    # after an invoice was shown, the same unsure look-up stays a look-up
    shown = Shown(I.SHOW, ("NW-2026-0466",))
    assert resolved_after(shown, text, "invoice.due", unsure) == "invoice.due"


def resolved_with_offer(offered: str, top: str) -> str | None:
    guess = IntentGuess(I.escalate_intent(top), 0.4, ((I.escalate_intent(top), 0.4),))
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    state = ConversationState(pending_offer=PendingOffer(offered, "the question", expires))
    return resolved_intent(guess, extract_slots("sure, go ahead"), state, True)


def test_asking_for_the_ticket_offered_or_for_a_person_accepts_the_offer():
    assert resolved_with_offer("billing_dispute", "billing_dispute") == I.YES
    assert resolved_with_offer("billing_dispute", "human_request") == I.YES
    # another request is that request, not a yes to this offer
    assert resolved_with_offer("billing_dispute", "legal") == I.escalate_intent("legal")


def reread_as(text: str, agent: bool, customer) -> str | None:
    """What `_reread` makes of a policy question the classifier also reads as a comparison."""
    ranked = ((I.POLICY, 0.6), (I.COMPARE, 0.35), (I.NOT_BILLING, 0.05))
    turn = _Turn(
        text, customer, agent, TODAY, ConversationState(), False, "en", None,
        np.zeros(3), IntentGuess(I.POLICY, 0.6, ranked), extract_slots(text), False, list, 0.0,
    )  # fmt: skip
    return _reread(turn, I.POLICY, across=False, own=False)


def test_a_comparison_naming_the_accounts_invoices_is_computed(built):
    adatum = built.knowledge.customer("adatum")
    question = "why is the last invoice up on the one before?"
    assert reread_as(question, True, adatum) == I.COMPARE
    assert reread_as(question, False, adatum) == I.COMPARE
    # no invoice named, or no account to compute it on: the articles explain
    assert reread_as("why do bills go up from one month to the next?", True, adatum) == I.POLICY
    assert reread_as(question, True, None) == I.POLICY


def test_a_question_while_an_offer_waits_is_still_a_question():
    guess = IntentGuess(None, 0.2, ())  # the classifier abstains: nothing ranked
    state = ConversationState()  # an offer said to wait, though none is kept
    assert resolved_intent(guess, extract_slots("what about vat?"), state, True) is None
