"""`Conversations`: each conversation's stored reference (where a proactive message goes), its
customer, and its `ConversationState`, in the `conversations` table."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.conversation.state import ConversationState
from bot.intake import CONVERSATION_LIMIT, stable_key
from bot.storage.database import Database, Executor, connection_of
from bot.storage.models import ConversationRow
from bot.storage.prepared import Prepared


class Chat(NamedTuple):
    """A conversation a proactive message can reach: its id, customer (or tenant), and the
    language it was held in (None: nothing said in it yet)."""

    conversation: str
    customer_id: str | None
    tenant: str | None
    language: str | None


class Conversations:
    def __init__(self, db: Database) -> None:
        self._db = db
        # Prepared once: most turns run it. It writes only over the version the turn read
        # (a row that was missing then must still be missing), and says whether it wrote.
        save = db.insert(ConversationRow).values(
            channel=bindparam("b_channel"),
            conversation=bindparam("b_conversation"),
            reference={},
            customer_id=None,
            updated_at=bindparam("b_updated_at"),
            state=bindparam("b_state"),
            version=1,
        )
        self._save_state = Prepared(
            save.on_conflict_do_update(
                index_elements=["channel", "conversation"],
                set_={
                    "state": save.excluded.state,
                    "updated_at": save.excluded.updated_at,
                    "version": ConversationRow.version + 1,
                },
                where=ConversationRow.version == bindparam("b_version"),
            ).returning(ConversationRow.version),
            db.engine.dialect,
        )

    def remember(
        self,
        channel: str,
        conversation: str,
        reference: Mapping[str, Any],
        customer_id: str | None,
    ) -> None:
        """Store (or refresh) what a proactive message to this conversation needs; a known
        customer id is kept when a later call passes None. `conversation` is keyed as
        `bot.intake.admit` keys a message's, so turns and proactive sends find the row."""
        conversation = stable_key(conversation, CONVERSATION_LIMIT)
        statement = self._db.insert(ConversationRow).values(
            channel=channel,
            conversation=conversation,
            reference=dict(reference),
            customer_id=customer_id,
            updated_at=self._db.now(),
        )
        statement = statement.on_conflict_do_update(
            index_elements=["channel", "conversation"],
            set_={
                "reference": statement.excluded.reference,
                "customer_id": func.coalesce(
                    statement.excluded.customer_id, ConversationRow.customer_id
                ),
                "updated_at": statement.excluded.updated_at,
            },
        )
        with self._db.write() as session:
            session.execute(statement)

    def reference(self, channel: str, conversation: str) -> dict[str, Any] | None:
        with self._db.read() as session:
            row = session.get(
                ConversationRow, (channel, stable_key(conversation, CONVERSATION_LIMIT))
            )
            return None if row is None or not row.reference else dict(row.reference)

    def reachable(self, channel: str) -> set[tuple[str | None, str | None]]:
        """(customer id, tenant id) of every conversation on `channel` with a stored
        reference a proactive message can use (either may be None when not stored)."""
        query = select(ConversationRow.customer_id, ConversationRow.reference).where(
            ConversationRow.channel == channel
        )
        found: set[tuple[str | None, str | None]] = set()
        with self._db.read() as session:
            for customer_id, reference in session.execute(query):
                if not reference or not reference.get("serviceUrl"):
                    continue
                conversation = reference.get("conversation")
                tenant = conversation.get("tenantId") if isinstance(conversation, dict) else None
                found.add((customer_id, str(tenant).lower() if tenant else None))
        return found

    def chats(self, channel: str) -> list[Chat]:
        """Every conversation on `channel` a proactive message can reach (a stored reference
        with a service URL), newest first."""
        query = (
            select(ConversationRow)
            .where(ConversationRow.channel == channel)
            .order_by(ConversationRow.updated_at.desc())
        )
        found: list[Chat] = []
        with self._db.read() as session:
            for row in session.scalars(query):
                reference = row.reference or {}
                if not reference.get("serviceUrl"):
                    continue
                conversation = reference.get("conversation")
                tenant = conversation.get("tenantId") if isinstance(conversation, dict) else None
                state = ConversationState.from_json(row.state)
                found.append(
                    Chat(
                        row.conversation,
                        row.customer_id,
                        str(tenant).lower() if tenant else None,
                        state.language if state.transcript else None,
                    )
                )
        return found

    def customer(self, channel: str, conversation: str) -> str | None:
        with self._db.read() as session:
            row = session.get(
                ConversationRow, (channel, stable_key(conversation, CONVERSATION_LIMIT))
            )
            return None if row is None else row.customer_id

    def state(self, channel: str, conversation: str) -> ConversationState:
        with self._db.read() as session:
            return self.state_in(session, channel, conversation)

    def state_in(self, session: Session, channel: str, conversation: str) -> ConversationState:
        row = session.get(ConversationRow, (channel, conversation))
        return ConversationState.from_json(None if row is None else row.state)

    def save_state_in(
        self,
        where: Executor,
        channel: str,
        conversation: str,
        state: ConversationState,
        *,
        over: int | None,
    ) -> bool:
        """Write the state in the caller's transaction over version `over` of the row (None:
        there was no row; a conversation without a stored reference still has a state).
        False, and nothing written, when another turn wrote it since that version was read."""
        written = self._save_state.run(
            connection_of(where),
            {
                "b_channel": channel,
                "b_conversation": conversation,
                "b_updated_at": self._db.now(),
                "b_state": state.to_json(),
                "b_version": over,
            },
        )
        return bool(written)

    def forget_states_in(self, session: Session, before: datetime) -> int:
        """Drop the state of conversations not updated since `before` (their reference and
        customer stay, for proactive messages); returns how many."""
        result = session.execute(
            update(ConversationRow)
            .where(ConversationRow.updated_at < before, ConversationRow.state.is_not(None))
            .values(state=None, version=ConversationRow.version + 1)
        )
        return int(cast(CursorResult[Any], result).rowcount)
