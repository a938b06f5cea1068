"""A charge questioned but not surely disputed: the line is shown, and the dispute offered.

Customers disagree with a charge without saying "dispute" ("those disk hours can't be
ours"). When the classifier is sure, the message is a dispute and opens its ticket (see
`Answerer.decide`). When it is not, and the look-up of the line wins, the customer still gets
the line's figures, followed by an offer to open the dispute ticket for it ("yes" accepts;
the ticket carries the message and the line, see `escalation_evidence` in
`bot.answering.invoices.evidence`): a wrong offer costs one sentence, a missed dispute costs
the customer a second message.

An offer is made when the requests the message may be (the escalation group of intents)
hold at least `OFFER_AT` of the classifier's probability and the likeliest of them is the
dispute category.
"""

from __future__ import annotations

from dataclasses import replace

from bot.answering.decide import Decision
from bot.collections.disputes import DISPUTE_CATEGORY
from bot.locale import translator
from bot.types import ReplyKind
from bot.understanding import intents as I

# The share of the classifier's probability on requests (escalations) above which a look-up
# of a line also offers the dispute: a quarter, so that a look-up stays the likelier reading.
OFFER_AT = 0.25
# Look-ups that show charges: what one line is, one invoice's lines, two invoices compared.
_ABOUT_CHARGES = frozenset({I.LINE, I.SHOW, I.COMPARE})


def with_dispute_offer(decision: Decision, language: str) -> Decision:
    """`decision`, with the dispute offered when it shows charges the customer may dispute."""
    guess, shown = decision.intent, decision.shown
    if decision.reply.kind is not ReplyKind.INVOICE or decision.offer or guess is None:
        return decision
    if shown is None or shown.intent not in _ABOUT_CHARGES:
        return decision
    if guess.group(I.ESCALATION_GROUP) < OFFER_AT:
        return decision
    requests = [intent for intent, _p in guess.ranked if I.escalation_category(intent)]
    if not requests or I.escalation_category(requests[0]) != DISPUTE_CATEGORY:
        return decision
    _ = translator(language)
    offer = _(
        "If this charge looks wrong to you, I can open a dispute ticket for it with the "
        "invoice attached. Shall I?"
    )
    reply = replace(decision.reply, text=f"{decision.reply.text}\n\n{offer}")
    return replace(decision, reply=reply, offer=DISPUTE_CATEGORY)
