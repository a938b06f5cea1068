"""One reply to a message that asks several questions: every part answered, or asked about.

The message is split into its questions (`bot.understanding.parts`), each decided by the pure
`Answerer.decide` in the conversation the part before left ("show me the march bill and is
it paid yet?": the second part is about the invoice the first showed),
and the decisions are composed into one:

- a part that needs a person wins when the whole message needs one too: its ticket opens,
  and the answers to the other parts travel beside it (`Decision.beside`) into the same
  reply; the ticket carries the whole message, so an unanswered part reaches the agents too.
  A part asking how the customer's ticket goes leads the same way, the status first;
  A part that alone would need a person, in a message that does not, is offered the ticket;
- answered parts give their answers one after the other (the first one's kind, every
  citation, the first table), and a declined part is named with the ticket offered for it
  ("yes" accepts), so no question is dropped silently;
- when no part is answered, the message is decided whole: splitting may have cut a single
  question's meaning, and the whole message does no worse.

Like `decide`, composing has no side effects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from bot.answering.decide import Decision
from bot.answering.dispute_offer import with_dispute_offer
from bot.conversation.state import ConversationState
from bot.locale import translator
from bot.types import Citation, Reply, ReplyKind, Table
from bot.understanding.parts import questions

# (part, the conversation so far, whether an offer awaits an answer) -> what to say to it.
Decide = Callable[[str, ConversationState, bool], Decision]

ANSWERED = frozenset({ReplyKind.ANSWER, ReplyKind.INVOICE})
DECLINED = frozenset({ReplyKind.NOT_SURE, ReplyKind.OUT_OF_SCOPE})
_FROM_TICKETS = (ReplyKind.ESCALATE, ReplyKind.TICKET_STATUS)
QUOTE = 80  # characters of a declined part quoted back


def decide_parts(
    text: str,
    state: ConversationState,
    offer_pending: bool,
    decide: Decide,
    *,
    language: str = "en",
    agent: bool = False,
) -> Decision:
    """What to say to `text`, every question it asks answered or asked about."""
    if not agent:  # agents are never offered a ticket
        decide = _offering_disputes(decide, language)
    parts = questions(text, language)
    if len(parts) == 1:
        return decide(text, state, offer_pending)
    decisions = []
    conversation = state
    for number, part in enumerate(parts):
        decision = decide(part, conversation, offer_pending and number == 0)
        decisions.append(decision)
        if decision.shown is not None:
            conversation = replace(conversation, shown=decision.shown)
    if any(d.reply.kind is ReplyKind.ESCALATE for d in decisions):
        # A ticket opens for a part only when the whole message asks for one too: a part
        # read out of its message ("which ones do you handle yourselves?") is offered one.
        whole = decide(text, state, offer_pending)
        if whole.reply.kind is not ReplyKind.ESCALATE:
            decisions = [_offered(d) for d in decisions]
    composed = compose(parts, decisions, language, agent=agent)
    return composed if composed is not None else decide(text, state, offer_pending)


def _offered(decision: Decision) -> Decision:
    """An escalation not confirmed by the whole message, as the offer of its ticket."""
    if decision.reply.kind is not ReplyKind.ESCALATE or decision.escalation is None:
        return decision
    reply = Reply("", ReplyKind.NOT_SURE, decision.reply.confidence)
    return Decision(reply, intent=decision.intent, offer=decision.escalation.category.id)


def _offering_disputes(decide: Decide, language: str) -> Decide:
    return lambda part, state, pending: with_dispute_offer(decide(part, state, pending), language)


def compose(
    parts: Sequence[str], decisions: Sequence[Decision], language: str, *, agent: bool = False
) -> Decision | None:
    """One decision for the parts' decisions (in order), or None when no part is answered
    and none needs a person."""
    answered: list[Decision] = []
    for decision in decisions:
        same = any(d.reply.text == decision.reply.text for d in answered)
        if decision.reply.kind in ANSWERED and not same:  # two parts, one answer: said once
            answered.append(decision)
    # A ticket to open, or a ticket's status to tell (the app writes both), leads the reply.
    ticket = next((d for d in decisions if d.reply.kind in _FROM_TICKETS), None)
    if ticket is not None:
        return replace(ticket, beside=tuple(d.reply for d in answered))
    if not answered:
        return None
    declined = [
        (part, decision)
        for part, decision in zip(parts, decisions, strict=True)
        if decision.reply.kind in DECLINED
    ]
    first = answered[0]
    replies = [d.reply for d in answered]
    text = "\n\n".join(beside_text(replies, keep_table=True))
    text += "".join("\n\n" + _declined(part, d.reply.kind, language, agent) for part, d in declined)
    offers = [d.offer for _part, d in declined if d.offer and d.reply.kind is ReplyKind.NOT_SURE]
    reply = Reply(
        text,
        first.reply.kind,
        min(r.confidence for r in replies),
        citations_of(replies),
        next((r.table for r in replies if r.table is not None), None),
        evidence=tuple(e for d in decisions for e in d.reply.evidence),
    )
    shown = next((d.shown for d in reversed(answered) if d.shown is not None), None)
    return Decision(
        reply,
        None,
        first.hits,
        first.intent,
        shown,
        offer=None if agent or not offers else offers[0],
    )


def beside_text(replies: Sequence[Reply], *, keep_table: bool = False) -> list[str]:
    """Each reply's text; a table the composed reply cannot hold (it holds one, the first,
    when `keep_table`) is written out in its text, a row a line."""
    texts = []
    kept = not keep_table
    for reply in replies:
        text = reply.text
        if reply.table is not None:
            if kept:
                text += "\n" + table_text(reply.table)
            kept = True
        texts.append(text)
    return texts


def table_text(table: Table) -> str:
    return "\n".join(
        "; ".join(f"{column}: {cell}" for column, cell in zip(table.columns, row, strict=False))
        for row in table.rows
    )


def citations_of(replies: Sequence[Reply]) -> tuple[Citation, ...]:
    return tuple(dict.fromkeys(c for r in replies for c in r.citations))


def _declined(part: str, kind: ReplyKind, language: str, agent: bool) -> str:
    _ = translator(language)
    question = _quoted(part)
    if kind is ReplyKind.OUT_OF_SCOPE:
        return _(
            "“{question}” is not something I can help with: I handle billing questions."
        ).format(question=question)
    if agent:
        return _("I found no sure answer to “{question}” in the knowledge folder.").format(
            question=question
        )
    return _(
        "I'm not sure I can answer “{question}” correctly from our documentation. Shall I open "
        "a ticket so a person from our billing team can help with it?"
    ).format(question=question)


def _quoted(part: str) -> str:
    text = part.strip().strip("¿?¡!.,; ")
    return text if len(text) <= QUOTE else text[: QUOTE - 1].rstrip() + "…"
