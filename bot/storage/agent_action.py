"""`AgentAction`: the verbs of one agents' action (a reply in a ticket's thread, a button
click), in one transaction with the mark of the platform event that asked for it.

`Storage.agent_action(source, event_id)` opens it, as `Storage.turn` opens a customer's turn:
the same event delivered again raises `AlreadyHandled` and changes nothing; an action that
fails leaves no mark (it is applied in full when it comes again). Adapters call these verbs;
they never open a transaction themselves.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from bot.tickets.values import Ticket

if TYPE_CHECKING:
    from bot.storage.stores import Storage


class AgentAction:
    def __init__(self, storage: Storage, session: Session) -> None:
        self._storage = storage
        self._session = session

    # --- tickets ---------------------------------------------------------------------------

    def claim(self, number: str, agent: str) -> Ticket:
        return self._storage.tickets.claim_in(self._session, number, agent)

    def unclaim(self, number: str, agent: str) -> Ticket:
        return self._storage.tickets.unclaim_in(self._session, number, agent)

    def wait_on_customer(self, number: str, agent: str) -> Ticket:
        return self._storage.tickets.wait_on_customer_in(self._session, number, agent)

    def resolve(self, number: str, agent: str) -> Ticket:
        return self._storage.tickets.resolve_in(self._session, number, agent)

    def change_category(self, number: str, category: str, route: str, agent: str) -> Ticket:
        return self._storage.tickets.change_category_in(
            self._session, number, category, route, agent
        )

    def adopt_thread(self, number: str, thread: str) -> None:
        """Make `thread` the ticket's agents' thread if it has none yet."""
        self._storage.tickets.adopt_thread_in(self._session, number, thread)

    def add_agent_reply(
        self, number: str, agent: str, text: str, *, internal: bool = False
    ) -> Ticket:
        return self._storage.tickets.add_agent_reply_in(
            self._session, number, agent, text, internal=internal
        )

    # --- collections -----------------------------------------------------------------------

    def pause_reminders(
        self, customer_id: str, until: date | None, agent: str, today: date
    ) -> bool:
        """False (nothing written) when the same pause holds already."""
        return self._storage.collections.pause_in(self._session, customer_id, until, agent, today)

    def resume_reminders(self, customer_id: str, agent: str, today: date) -> bool:
        """False (nothing written) when no pause holds."""
        return self._storage.collections.resume_in(self._session, customer_id, today, agent)

    def confirm_payment(self, invoice: str, agent: str) -> bool:
        """False when no claim on `invoice` awaits confirmation."""
        return self._storage.collections.confirm_in(self._session, invoice, agent)
