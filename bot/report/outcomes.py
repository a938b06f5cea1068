"""The outcomes of a conversation episode, their definitions (what the report prints beside
its figures, in the agent language) and the windows they are judged on.

An episode is a customer's stretch of conversation: it ends after `EPISODE_GAP` of silence
or when a ticket of the conversation is resolved. Its outcome is decided in this order:

1. escalated: a ticket was opened in it (or the customer wrote to a ticket's agent);
2. not served: no answer was given and the bot declined: not billing, not sure with its offer
   of a ticket not accepted, or the offer refused;
3. confirmed resolved: after an answer, the customer said it resolved their question (a
   thumbs-up, or a message the intent classifier reads as `solved`), and no ticket followed
   within `FOLLOW_UP`;
4. assumed resolved: the last thing asked was answered, then silence: no thumbs-down, no
   ticket and no question on the same topic within `FOLLOW_UP`;
5. ambiguous: anything else (the customer left mid-way, asked something unrelated next, a
   ticket followed a confirmation).

The headline is *confirmed*; *assumed* is printed beside it and never added to it.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum

from bot.locale import N_

EPISODE_GAP = timedelta(hours=24)
FOLLOW_UP_DAYS = 7


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    ASSUMED = "assumed"
    AMBIGUOUS = "ambiguous"
    ESCALATED = "escalated"
    NOT_SERVED = "not_served"


class NotServed(StrEnum):
    """Why an episode was not served."""

    DECLINED = "declined"  # a ticket was offered and the customer said no
    NOT_SURE = "not_sure"  # not sure, the offer of a ticket left unanswered
    OUT_OF_SCOPE = "out_of_scope"  # not a billing question


NAMES: dict[Outcome, str] = {
    Outcome.CONFIRMED: N_("Confirmed resolved"),
    Outcome.ASSUMED: N_("Assumed resolved"),
    Outcome.AMBIGUOUS: N_("Ambiguous"),
    Outcome.ESCALATED: N_("Escalated"),
    Outcome.NOT_SERVED: N_("Not served"),
}

DEFINITIONS: dict[Outcome, str] = {
    Outcome.CONFIRMED: N_(
        "The customer said the answer resolved their question (a thumbs-up on it, or a message "
        "such as \u201cthanks, that solved it\u201d recognised by the intent classifier), and "
        "no ticket followed within 7 days."
    ),
    Outcome.ASSUMED: N_(
        "The last question was answered, then silence: no thumbs-down, no ticket and no "
        "question on the same topic within 7 days. Shown beside the headline, never added to it."
    ),
    Outcome.AMBIGUOUS: N_(
        "Neither of the above can be decided: the customer left mid-way, asked something "
        "unrelated next, gave the answer a thumbs-down, or a ticket followed a confirmation."
    ),
    Outcome.ESCALATED: N_(
        "A ticket was opened for a person during the episode, by category and route."
    ),
    Outcome.NOT_SERVED: N_(
        "No answer was given: the question was not about billing, or the bot was not sure and "
        "its offer of a ticket was declined or not accepted."
    ),
}

EPISODE_DEFINITION = N_(
    "An episode is one customer's conversation until 24 hours of silence or until its "
    "ticket is resolved. Outcomes less than 7 days old are provisional: what follows them "
    "may still change them."
)

REASONS: dict[NotServed, str] = {
    NotServed.DECLINED: N_("offer of a ticket declined"),
    NotServed.NOT_SURE: N_("not sure, offer not accepted"),
    NotServed.OUT_OF_SCOPE: N_("out of scope"),
}
