"""`FeedbackLog`: what customers thought of the answers ("was this helpful?") and what the bot
could not answer: what admins read to know which articles to write next."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.pii import mask_pii
from bot.reasons import Reason
from bot.storage.database import Database
from bot.storage.models import FeedbackRow, UnansweredRow
from bot.tickets.values import Unanswered
from bot.types import ReplyKind


class Vote(NamedTuple):
    """One customer's answer to "was this helpful?" about one reply (`about`, PII masked);
    `reason`: why not, when a 👎 said."""

    channel: str
    conversation: str
    helpful: bool
    about: str
    at: datetime
    reason: Reason | None = None


class FeedbackLog:
    def __init__(self, db: Database) -> None:
        self._db = db

    # --- writes, in the caller's transaction ------------------------------------------------

    def vote_in(
        self,
        session: Session,
        channel: str,
        conversation: str,
        helpful: bool,
        about: str,
        reason: Reason | None = None,
    ) -> None:
        session.add(
            FeedbackRow(
                channel=channel,
                conversation=conversation,
                helpful=helpful,
                about=mask_pii(about),
                reason=None if reason is None else reason.value,
                at=self._db.now(),
            )
        )

    def unanswered_in(
        self,
        session: Session,
        *,
        channel: str,
        customer_id: str | None,
        kind: ReplyKind,
        question: str,
        confidence: float,
        nearest: str | None,
    ) -> None:
        session.add(
            UnansweredRow(
                at=self._db.now(),
                channel=channel,
                customer_id=customer_id,
                kind=kind.value,
                question=mask_pii(question),
                confidence=confidence,
                nearest=nearest,
            )
        )

    # --- reads ----------------------------------------------------------------------------

    def votes(self, *, helpful: bool | None = None) -> list[Vote]:
        """The votes, oldest first; only the (un)helpful ones when `helpful` is given."""
        query = select(FeedbackRow).order_by(FeedbackRow.id)
        if helpful is not None:
            query = query.where(FeedbackRow.helpful == helpful)
        with self._db.read() as session:
            return [
                Vote(
                    r.channel,
                    r.conversation,
                    r.helpful,
                    r.about,
                    r.at,
                    None if r.reason is None else Reason(r.reason),
                )
                for r in session.scalars(query)
            ]

    def unanswered(self, *, since: datetime | None = None) -> list[Unanswered]:
        """The questions the bot did not answer, newest first."""
        query = select(UnansweredRow).order_by(UnansweredRow.id.desc())
        if since is not None:
            query = query.where(UnansweredRow.at >= since)
        with self._db.read() as session:
            return [
                Unanswered(
                    r.at,
                    r.channel,
                    r.customer_id,
                    ReplyKind(r.kind),
                    r.question,
                    r.confidence,
                    r.nearest,
                )
                for r in session.scalars(query)
            ]
