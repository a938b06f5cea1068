"""Composing one reply from the decisions on a message's questions: none dropped silently."""

from bot.answering.compose import compose, decide_parts
from bot.answering.decide import Decision
from bot.answering.scope import CategoryMatch
from bot.conversation.state import ConversationState, Shown
from bot.knowledge.escalation import Category
from bot.types import Citation, Reply, ReplyKind, Table
from bot.understanding import intents as I

DUE = Decision(
    Reply(
        "Invoice A-1 is due on 2 December.",
        ReplyKind.INVOICE,
        1.0,
        table=Table(("Invoice", "Due"), (("A-1", "2 Dec"),)),
    ),
    shown=Shown(I.DUE, ("A-1",)),
)
CARD = Decision(
    Reply(
        "We take cards through a secure link.",
        ReplyKind.ANSWER,
        0.6,
        (Citation("Paying", "Cards", "articles/pay.md"),),
    ),
    shown=Shown(I.POLICY, article="articles/pay.md"),
)
UNSURE = Decision(Reply("I'm not sure.", ReplyKind.NOT_SURE, 0.2), offer="billing_dispute")
ELSEWHERE = Decision(Reply("Billing only.", ReplyKind.OUT_OF_SCOPE, 0.1), offer="human_request")
DISPUTE = Decision(
    Reply("", ReplyKind.ESCALATE, 0.9),
    CategoryMatch(Category("billing_dispute", "Billing dispute", "billing", "", ()), 0.9, "intent"),
)


def test_two_answers_make_one_reply_with_both():
    decision = compose(["when is it due", "can I pay by card"], [DUE, CARD], "en")
    assert decision is not None
    reply = decision.reply
    assert reply.text.startswith(DUE.reply.text) and CARD.reply.text in reply.text
    assert reply.kind is ReplyKind.INVOICE  # the first answer's kind
    assert reply.table == DUE.reply.table
    assert reply.citations == CARD.reply.citations
    assert reply.confidence == 0.6  # as sure as the least sure part
    assert decision.shown == CARD.shown  # the conversation goes on from the last answer
    assert decision.offer is None


def test_a_second_table_is_written_out_in_the_text():
    other = Decision(
        Reply("Your balance:", ReplyKind.INVOICE, 1.0, table=Table(("Total",), (("EUR 9",),)))
    )
    reply = compose(["a b", "c d"], [DUE, other], "en").reply
    assert reply.table == DUE.reply.table
    assert "Total: EUR 9" in reply.text


def test_a_part_the_bot_cannot_answer_is_named_and_offered_a_ticket():
    decision = compose(["when is it due", "why is the moon round?"], [DUE, UNSURE], "en")
    reply = decision.reply
    assert reply.kind is ReplyKind.INVOICE
    assert "“why is the moon round”" in reply.text and "open a ticket" in reply.text
    assert decision.offer == "billing_dispute"  # a "yes" accepts it


def test_the_declined_part_is_named_in_spanish_for_a_spanish_conversation():
    decision = compose(["cuándo vence", "¿por qué llueve?"], [DUE, UNSURE], "es")
    assert "«por qué llueve»" in decision.reply.text
    assert "¿Abro un ticket" in decision.reply.text


def test_an_agent_is_told_no_answer_was_found_and_offered_nothing():
    decision = compose(["when is it due", "what is x"], [DUE, UNSURE], "en", agent=True)
    assert "no sure answer to “what is x”" in decision.reply.text
    assert decision.offer is None


def test_a_part_outside_billing_is_said_to_be_outside_it_without_an_offer():
    decision = compose(["when is it due", "what is the weather"], [DUE, ELSEWHERE], "en")
    assert "“what is the weather” is not something I can help with" in decision.reply.text
    assert decision.offer is None


def test_a_part_that_needs_a_person_wins_and_carries_the_answers_beside():
    decision = compose(["it is wrong", "can I pay by card"], [DISPUTE, CARD], "en")
    assert decision.reply.kind is ReplyKind.ESCALATE
    assert decision.escalation == DISPUTE.escalation
    assert decision.beside == (CARD.reply,)


def test_two_parts_with_one_answer_say_it_once():
    decision = compose(["a b", "c d"], [CARD, CARD], "en")
    assert decision.reply.text == CARD.reply.text


def test_no_answered_part_leaves_the_message_to_be_decided_whole():
    assert compose(["a b", "c d"], [UNSURE, ELSEWHERE], "en") is None


def test_each_part_is_decided_in_the_conversation_the_one_before_left():
    seen: list[tuple[str, Shown, bool]] = []
    answers = {"when is it due": DUE, "can I pay by card?": CARD}

    def decide(part: str, state: ConversationState, pending: bool) -> Decision:
        seen.append((part, state.shown, pending))
        return answers[part]

    decision = decide_parts(
        "when is it due and can I pay by card?", ConversationState(), True, decide
    )
    assert [part for part, _shown, _pending in seen] == ["when is it due", "can I pay by card?"]
    assert seen[1][1] == DUE.shown  # the second part follows the first's answer
    assert [pending for *_, pending in seen] == [True, False]  # an offer is answered once
    assert DUE.reply.text in decision.reply.text and CARD.reply.text in decision.reply.text


def test_a_message_decided_whole_when_no_part_is_answered():
    said: list[str] = []

    def decide(part: str, state: ConversationState, pending: bool) -> Decision:
        said.append(part)
        return UNSURE

    decide_parts("when is it due and can I pay by card?", ConversationState(), False, decide)
    assert said[-1] == "when is it due and can I pay by card?"


def test_a_single_question_is_decided_once_as_written():
    said: list[str] = []

    def decide(part: str, state: ConversationState, pending: bool) -> Decision:
        said.append(part)
        return CARD

    decide_parts("can we pay by card and by transfer?", ConversationState(), False, decide)
    assert said == ["can we pay by card and by transfer?"]


def test_a_part_escalating_alone_in_a_message_that_does_not_is_offered_the_ticket():
    def decide(part: str, state: ConversationState, pending: bool) -> Decision:
        return {"when is it due": DUE, "can I pay by card?": DISPUTE}.get(part, CARD)

    decision = decide_parts(
        "when is it due and can I pay by card?", ConversationState(), False, decide
    )
    assert decision.reply.kind is ReplyKind.INVOICE and decision.escalation is None
    assert "“can I pay by card”" in decision.reply.text
    assert decision.offer == "billing_dispute"


def test_a_part_escalating_in_a_message_that_escalates_opens_the_ticket():
    def decide(part: str, state: ConversationState, pending: bool) -> Decision:
        return DUE if part == "when is it due" else DISPUTE

    decision = decide_parts(
        "when is it due and can I pay by card?", ConversationState(), False, decide
    )
    assert decision.reply.kind is ReplyKind.ESCALATE and decision.beside == (DUE.reply,)
