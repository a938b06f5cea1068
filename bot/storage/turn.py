"""`Turn`: the verbs of one incoming event's transaction, and `Handled`, what it produced.

The assistant decides first (reads only: `Answerer.decide` is pure), then applies its
decision through a `Turn` inside `Storage.turn(...)`: ticket changes, feedback, unanswered
questions, the conversation's state and the reply itself (an outbox row) commit together
with the event's id, or not at all. So a redelivered event either finds all of it (and its
reply: sent again only if it never went out) or none of it (and is handled in full).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from bot.channel import OutboxEvent
from bot.conversation.state import ConversationState
from bot.conversation.turns import TurnNote
from bot.delivery.outbox import Claimed, enqueue
from bot.reasons import Reason
from bot.tickets.values import Ticket
from bot.types import Message, Reply, ReplyKind

if TYPE_CHECKING:
    from bot.storage.stores import Storage

# How long the process that took the turn has to send the reply inline before the dispatcher
# may deliver it instead (a crashed process's replies go out this soon after).
INLINE_LEASE = timedelta(seconds=8)


class AlreadyHandled(Exception):
    """Another delivery of the same event committed first."""


class StaleTurn(Exception):
    """What the decision read changed before its commit (e.g. the ticket it relays to was
    resolved): decide again."""


@dataclass(frozen=True, slots=True)
class Handled:
    """What one event produced: the reply, and the claim on its outbox row for the caller to
    send it inline and settle (None: nothing to send, or someone else holds it).
    `repeat`: the event was handled before (a redelivery)."""

    reply: Reply
    delivery: Claimed | None = None
    repeat: bool = False

    @classmethod
    def duplicate(cls) -> Handled:
        return cls(Reply("", ReplyKind.DUPLICATE), repeat=True)


def reply_key(message: Message) -> str:
    return f"reply:{message.channel}:{message.event_id}"


class Turn:
    """The verbs of one event's transaction, on its connection. Most turns only reply: their
    statements run on the connection directly; an ORM session on the same connection and
    transaction is opened for the verbs that need one (tickets, feedback) and flushed before
    the reply is written, so statements keep the order they were called in."""

    def __init__(
        self,
        storage: Storage,
        conn: Connection,
        message: Message,
        state: ConversationState,
        version: int | None,
    ) -> None:
        self._storage = storage
        self._conn = conn
        self._orm: Session | None = None
        self.message = message
        self.loaded = state
        self._version = version  # of the loaded state (None: no row); see `reply`
        self.state = state  # replace it to change what is remembered; written by `reply`
        # A customer's turn, for the resolution report (None: not recorded, e.g. an agent's).
        self.note: TurnNote | None = None
        self.offered = False  # the reply offers a ticket

    @property
    def _session(self) -> Session:
        if self._orm is None:
            # Joins the connection's transaction; never commits or ends it (the turn does).
            self._orm = Session(
                bind=self._conn, expire_on_commit=False, join_transaction_mode="rollback_only"
            )
        return self._orm

    def _flushed(self) -> Connection:
        if self._orm is not None:
            self._orm.flush()
        return self._conn

    def __enter__(self) -> Turn:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._orm is not None:
            if exc[0] is None:
                self._orm.flush()
            self._orm.close()

    # --- tickets ---------------------------------------------------------------------------

    def open_or_append(
        self,
        *,
        customer_id: str,
        category: str,
        route: str,
        question: str,
        evidence: Sequence[str],
        earlier: Sequence[tuple[str, str]] = (),
        said: str | None = None,
    ) -> tuple[Ticket, bool]:
        """(the conversation's one active ticket with the customer's words on it, newly
        opened?); see `TicketStore.open_or_append_in`."""
        return self._storage.tickets.open_or_append_in(
            self._session,
            customer_id=customer_id,
            category=category,
            route=route,
            question=question,
            evidence=evidence,
            channel=self.message.channel,
            conversation=self.message.conversation,
            earlier=earlier,
            said=said,
        )

    def add_to_ticket(self, number: str, text: str) -> Ticket:
        return self._storage.tickets.add_customer_message_in(self._session, number, text)

    def add_evidence(self, number: str, lines: Sequence[str]) -> Ticket:
        return self._storage.tickets.add_evidence_in(self._session, number, lines)

    def add_exchange_to_ticket(self, number: str, question: str, answer: str) -> Ticket:
        """A question the bot answered beside an unclaimed ticket, copied to it."""
        return self._storage.tickets.add_answered_exchange_in(
            self._session, number, question, answer
        )

    def reopen(self, number: str, actor: str) -> Ticket:
        return self._storage.tickets.reopen_in(self._session, number, actor)

    def release_held(self) -> int:
        """Put back in line what could not reach this conversation in its window: the
        customer is here again (each goes out with a "sorry for the delay")."""
        return self._storage.outbox.release_held_in(
            self._session,
            self.message.channel,
            self.message.conversation,
            now=self._storage.db.now(),
        )

    # --- collections -------------------------------------------------------------------------

    def claim_payment(self, invoice: str, customer_id: str) -> bool:
        """Record the customer's "I've paid" on `invoice` and tell the agents (an outbox row
        to Slack); False (nothing written) when it was already claimed since the last
        invoice import: a second click has no effect."""
        message = self.message
        claimed = self._storage.collections.claim_in(
            self._session,
            invoice=invoice,
            customer_id=customer_id,
            by=message.user_name or message.user_id or "customer",
            channel=message.channel,
            conversation=message.conversation,
        )
        if claimed:
            enqueue(
                self._session,
                key=f"payment_claimed:{invoice}:{message.channel}:{message.event_id}",
                channel="slack",
                event=OutboxEvent.PAYMENT_CLAIMED,
                body={"customer": customer_id, "invoice": invoice, "by": message.user_name},
                now=self._storage.db.now(),
            )
        return claimed

    # --- what admins read -------------------------------------------------------------------

    def vote(self, helpful: bool, about: str, reason: Reason | None = None) -> None:
        self._storage.feedback.vote_in(
            self._session, self.message.channel, self.message.conversation, helpful, about, reason
        )

    def note_unanswered(
        self,
        *,
        customer_id: str | None,
        kind: ReplyKind,
        confidence: float,
        nearest: str | None,
    ) -> None:
        self._storage.feedback.unanswered_in(
            self._session,
            channel=self.message.channel,
            customer_id=customer_id,
            kind=kind,
            question=self.message.text,
            confidence=confidence,
            nearest=nearest,
        )

    # --- the end of the turn ------------------------------------------------------------------

    def reply(self, reply: Reply) -> Handled:
        """Queue the reply (for an event a platform delivered: an outbox row claimed by this
        process, to send inline after the commit), keep the state and the event's result."""
        message = self.message
        conn = self._flushed()
        if self.state != self.loaded and not self._storage.conversations.save_state_in(
            conn, message.channel, message.conversation, self.state, over=self._version
        ):
            # Another turn of this conversation committed since the state was read: writing
            # over it would lose its exchange (two messages sent at once).
            raise StaleTurn(f"{message.channel} conversation {message.conversation}")
        if self.note is not None:
            self._storage.turns.record_in(
                conn,
                channel=message.channel,
                conversation=message.conversation,
                note=self.note,
                reply=reply,
                offered=self.offered,
            )
        if not message.event_id:
            return Handled(reply)
        delivery = None
        if reply.text:
            delivery = self._storage.outbox.enqueue_claimed_in(
                conn,
                key=reply_key(message),
                channel=message.channel,
                conversation=message.conversation,
                event=OutboxEvent.REPLY,
                body={"reply": reply.to_json(), "question": message.text},
                now=self._storage.db.now(),
                lease=INLINE_LEASE,
            )
        self._storage.inbound.finish_in(
            conn,
            message.channel,
            message.event_id,
            {
                "reply": reply.to_json(),
                "outbox": None if delivery is None else delivery.outgoing.key,
            },
        )
        return Handled(reply, delivery)
