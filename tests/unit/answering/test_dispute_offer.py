"""A look-up of a charge the customer may be disputing offers the dispute ticket."""

from bot.answering.decide import Decision
from bot.answering.dispute_offer import OFFER_AT, with_dispute_offer
from bot.conversation.state import Shown
from bot.types import Reply, ReplyKind
from bot.understanding import intents as I
from bot.understanding.intents import IntentGuess

LINE = Reply("On invoice A-1, Managed Disks: 4 × 19.71 = 78.84.", ReplyKind.INVOICE, 1.0)


def guess(dispute: float, refund: float = 0.0) -> IntentGuess:
    lookup = 1.0 - dispute - refund
    ranked = sorted(
        [
            (I.LINE, lookup),
            ("escalate.billing_dispute", dispute),
            ("escalate.refund_or_credit", refund),
        ],
        key=lambda pair: -pair[1],
    )
    groups = (("invoice", lookup), ("escalate", dispute + refund))
    return IntentGuess(I.LINE, lookup, tuple(ranked), groups)


def line_decision(intent: IntentGuess, shown: str = I.LINE) -> Decision:
    return Decision(LINE, intent=intent, shown=Shown(shown, ("A-1",)))


def test_a_line_look_up_with_a_probable_dispute_offers_it():
    decision = with_dispute_offer(line_decision(guess(OFFER_AT + 0.05)), "en")
    assert decision.offer == "billing_dispute"
    assert decision.reply.text.startswith(LINE.text)
    assert decision.reply.text.endswith(
        "open a dispute ticket for it with the invoice attached. Shall I?"
    )
    assert decision.reply.kind is ReplyKind.INVOICE  # the figures are still the answer


def test_the_offer_is_written_in_the_conversations_language():
    decision = with_dispute_offer(line_decision(guess(0.4)), "es")
    assert "¿Lo abro?" in decision.reply.text


def test_a_plain_look_up_offers_nothing():
    decision = line_decision(guess(OFFER_AT - 0.05))
    assert with_dispute_offer(decision, "en") == decision


def test_a_probable_request_of_another_kind_offers_no_dispute():
    decision = line_decision(guess(0.1, refund=0.3))
    assert with_dispute_offer(decision, "en") == decision


def test_a_look_up_that_shows_no_charges_offers_nothing():
    decision = line_decision(guess(0.4), shown=I.BALANCE)
    assert with_dispute_offer(decision, "en") == decision


def test_a_reply_that_is_not_a_look_up_offers_nothing():
    answer = Decision(Reply("Disputes take 10 days.", ReplyKind.ANSWER, 0.7), intent=guess(0.4))
    assert with_dispute_offer(answer, "en") == answer
