"""What agents' Slack actions mean for the core. Synchronous, like the core: the bolt app
runs these through the server's core pool (`ServerContext.run_core`).

Each method returns what the agent should see (Block Kit blocks or a short text); refused
actions (a claimed ticket claimed again, an unknown ticket) come back as `TicketError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from adapters.slack.blocks import Block, bold, field, italic, section, ticket_blocks
from adapters.slack.collections_desk import CollectionsDesk
from bot.answering.account import account_summary
from bot.answering.withheld import agent_evidence
from bot.errors import TicketError
from bot.locale import N_, SOURCE_LANGUAGE, formats, plural_translator, translator
from bot.tickets.status import ACTIVE, UNCLAIMED, Status
from bot.tickets.values import Ticket
from bot.types import Message, Role

if TYPE_CHECKING:
    from bot.app import Assistant
    from bot.storage.agent_action import AgentAction
    from bot.storage.stores import Storage

T = TypeVar("T")
INTERNAL = re.compile(r"^\s*(!note\b|\(internal\))\s*", re.IGNORECASE)
SOURCE = "slack"  # the inbound events' source name
HELP = N_(
    "*/billing* commands:\n"
    "• `/billing ask QUESTION`: the bot's answer, agent-only articles included\n"
    "• `/billing customer NAME|ID`: account status, balance, overdue invoices, open tickets\n"
    "• `/billing ticket NUMBER`: one ticket, with its transcript\n"
    "• `/billing overdue`: customers with overdue invoices, most overdue first\n"
    "• `/billing due [this week|next week|this month|next month]`: open invoices due then"
)


class Command(StrEnum):
    """The `/billing` verbs (see HELP)."""

    ASK = "ask"
    CUSTOMER = "customer"
    TICKET = "ticket"
    OVERDUE = "overdue"
    DUE = "due"


@dataclass(frozen=True, slots=True)
class Queue:
    """One agent's view of the desk (App Home)."""

    agent: str
    unclaimed: tuple[Ticket, ...]
    mine: tuple[Ticket, ...]
    waiting: tuple[Ticket, ...]
    oldest_wait: timedelta | None  # how long the oldest unclaimed ticket has waited


def split_internal(text: str) -> tuple[str, bool]:
    """("text without the marker", internal?) for "!note ..." and "(internal) ..." replies."""
    match = INTERNAL.match(text)
    return (text[match.end() :], True) if match else (text, False)


class Desk:
    def __init__(self, assistant: Assistant, storage: Storage) -> None:
        self._core = assistant  # answers (`/billing ask`) and the knowledge folder
        self._storage = storage
        self._store = storage.tickets  # reads only: changes go through `_once`
        self.language = assistant.settings.agent_language or SOURCE_LANGUAGE
        self.collections = CollectionsDesk(assistant, storage, self.language)

    @property
    def categories(self) -> list[tuple[str, str]]:
        return [(c.id, c.name) for c in self._core.knowledge.rules.categories]

    # --- the escalations channel --------------------------------------------------------

    def ticket_for_thread(self, thread_ts: str) -> Ticket | None:
        return self._store.ticket_for_thread(thread_ts)

    def thread_reply(
        self,
        thread_ts: str,
        agent: str,
        text: str,
        event_id: str | None = None,
        *,
        posted_for: str | None = None,
    ) -> Ticket | None:
        """Record an agent's reply in a ticket's thread (relayed unless internal); None when
        the thread is not a ticket's. The Slack event's id is marked in the same transaction
        as the reply and its outbox row: a retried event raises `AlreadyHandled`, a failed
        one leaves no mark and is relayed when it comes again.

        `posted_for`: the ticket the thread's post names (Slack's metadata), for a thread the
        database does not know (yet): the thread becomes the ticket's if it has none."""
        if posted_for is not None:
            ticket: Ticket | None = self._store.get(posted_for)
        else:
            ticket = self.ticket_for_thread(thread_ts)
        if ticket is None:
            return None
        number = ticket.number
        body, internal = split_internal(text)
        if not body.strip():
            return ticket

        def reply(action: AgentAction) -> Ticket:
            if posted_for is not None:
                action.adopt_thread(number, thread_ts)
            return action.add_agent_reply(number, agent, body, internal=internal)

        return self._once(event_id, reply)

    # Buttons. `action_id` (the interaction's id) is marked in the transaction of its effect:
    # the same interaction delivered again raises `AlreadyHandled` and changes nothing.

    def claim(self, number: str, agent: str, action_id: str | None = None) -> Ticket:
        return self._once(action_id, lambda a: a.claim(number, agent))

    def resolve(self, number: str, agent: str, action_id: str | None = None) -> Ticket:
        return self._once(action_id, lambda a: a.resolve(number, agent))

    def release(self, number: str, agent: str, action_id: str | None = None) -> Ticket:
        return self._once(action_id, lambda a: a.unclaim(number, agent))

    def wait_on_customer(self, number: str, agent: str, action_id: str | None = None) -> Ticket:
        return self._once(action_id, lambda a: a.wait_on_customer(number, agent))

    def change_category(
        self, number: str, category_id: str, agent: str, action_id: str | None = None
    ) -> Ticket:
        category = self._core.knowledge.rules.category(category_id)
        if category is None:
            known = ", ".join(cid for cid, _ in self.categories)
            raise TicketError(f"unknown category {category_id!r} (known: {known})")
        return self._once(
            action_id,
            lambda a: a.change_category(number, category.id, category.route, agent),
        )

    def _once(self, event_id: str | None, change: Callable[[AgentAction], T]) -> T:
        """`change` in one transaction with the mark of the Slack event or action that
        asked for it (none: no mark); `AlreadyHandled` when it was marked before."""
        with self._storage.agent_action(SOURCE, event_id) as action:
            return change(action)

    # --- App Home -----------------------------------------------------------------------

    def queue(self, agent: str) -> Queue:
        active = [t for t in self._store.find() if t.status in ACTIVE]
        unclaimed = tuple(t for t in active if t.status in UNCLAIMED)
        now = self._store.now()
        oldest = min((t.created_at for t in unclaimed), default=None)
        return Queue(
            agent=agent,
            unclaimed=unclaimed,
            mine=tuple(t for t in active if t.status == Status.CLAIMED and t.assignee == agent),
            waiting=tuple(t for t in active if t.status == Status.WAITING_ON_CUSTOMER),
            oldest_wait=None if oldest is None else now - oldest,
        )

    # --- /billing -----------------------------------------------------------------------

    def command(self, text: str, agent: str, agent_id: str, conversation: str) -> list[Block]:
        verb, _, rest = text.strip().partition(" ")
        rest = rest.strip()
        verb = verb.lower()
        if verb == Command.ASK and rest:
            return self.ask(rest, agent, agent_id, conversation)
        if verb == Command.CUSTOMER and rest:
            return self.customer(rest)
        if verb == Command.TICKET and rest:
            return self.ticket(rest)
        if verb == Command.OVERDUE:
            return self.collections.overdue()
        if verb == Command.DUE:
            return self.collections.due(rest)
        return [section(translator(self.language)(HELP))]

    def ask(self, question: str, agent: str, agent_id: str, conversation: str) -> list[Block]:
        reply = self._core.handle(
            Message(
                text=question,
                channel="slack",
                conversation=conversation,
                user_id=agent_id,
                user_name=agent,
                role=Role.AGENT,
            )
        )
        _ = translator(self.language)
        answer = reply.text or italic("(" + _("no answer") + ")")
        blocks = [section(bold(_("Q:")) + f" {question}"), section(answer)]
        if reply.table is not None:
            rows = [" | ".join(reply.table.columns)] + [" | ".join(r) for r in reply.table.rows]
            blocks.append(section("```" + "\n".join(rows) + "```"))
        if reply.citations:
            sources = "\n".join(f"• {c.title}, {c.section} (`{c.path}`)" for c in reply.citations)
            blocks.append(section(field(_("Sources"), sources)))
        confidence = _("{kind} · confidence {confidence}").format(
            kind=reply.kind, confidence=f"{reply.confidence:.2f}"
        )
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": confidence}]})
        return blocks

    def customer(self, query: str) -> list[Block]:
        _, language = translator(self.language), self.language
        ngettext = plural_translator(language)
        knowledge = self._core.knowledge
        wanted = query.strip().lower()
        found = knowledge.customer(query.strip()) or next(
            (c for c in knowledge.customers if wanted in c.name.lower()), None
        )
        if found is None:
            return [
                section(
                    _("No customer matches `{query}` (try an id or part of a name).").format(
                        query=query
                    )
                )
            ]
        zone = ZoneInfo(knowledge.partner.support.timezone)
        account = account_summary(knowledge, found, self._store.now().astimezone(zone).date())
        tickets = [t for t in self._store.find(customer_id=found.id) if t.status in ACTIVE]
        balance = (
            " + ".join(f"*{_amount(b.amount, b.currency, language)}*" for b in account.balances)
            or "*0.00*"
        )
        lines = [
            f"*{found.name}* (`{found.id}`)",
            _("Account: *{status}* · plan: {plan}").format(
                status=found.account_status, plan=found.support_plan
            ),
            ngettext(
                "Open balance: {balance} over {count} invoice",
                "Open balance: {balance} over {count} invoices",
                account.open_invoices,
            ).format(balance=balance, count=account.open_invoices),
        ]
        withheld = knowledge.withheld_of(found.id)
        if withheld:  # incomplete invoices: the customer is told they can't be shown
            lines.append(_("*Withheld from the customer* (not in the balance; fix the lines):"))
            lines += [f"• {evidence}" for evidence in agent_evidence(withheld)]
        if account.overdue:
            lines.append(bold(_("Overdue")))
            lines += [
                "• "
                + ngettext(
                    "{number}: {amount}, due {date} ({days} day overdue)",
                    "{number}: {amount}, due {date} ({days} days overdue)",
                    o.days,
                ).format(
                    number=o.invoice.number,
                    amount=_amount(o.invoice.total, o.invoice.currency, language),
                    date=formats.short_day(o.invoice.due_date, language),
                    days=o.days,
                )
                for o in account.overdue
            ]
        else:
            lines.append(_("Nothing overdue."))
        if tickets:
            lines.append(bold(_("Open tickets")))
            lines += [f"• {t.number} {t.category}: {t.status}" for t in tickets]
        else:
            lines.append(_("No open tickets."))
        return [section("\n".join(lines))]

    def ticket(self, number: str) -> list[Block]:
        ticket = self._store.get(number)
        return ticket_blocks(ticket.to_json(), self.categories, self.language)


def _amount(amount: Decimal, currency: str, language: str) -> str:
    """ "1,981.98 EUR" on an English desk, as agents have read it; the locale's form otherwise."""
    if language == SOURCE_LANGUAGE:
        return f"{amount:,.2f} {currency}"
    return formats.money(amount, currency, language)


def queue_view(queue: Queue, language: str = SOURCE_LANGUAGE) -> dict[str, Any]:
    """The App Home tab: counts, then the three lists."""
    _ = translator(language)
    wait = _("nothing waiting") if queue.oldest_wait is None else _age(queue.oldest_wait, language)
    title = _("Billing escalations")
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        section(
            _(
                "*{open}* open · *{mine}* mine · *{waiting}* waiting on customer · oldest open: "
                "{wait}"
            ).format(
                open=len(queue.unclaimed),
                mine=len(queue.mine),
                waiting=len(queue.waiting),
                wait=wait,
            )
        ),
    ]
    for heading, tickets in (
        (_("Open (nobody has it)"), queue.unclaimed),
        (_("Mine"), queue.mine),
        (_("Waiting on customer"), queue.waiting),
    ):
        blocks.append({"type": "divider"})
        blocks.append(section(f"*{heading}*\n" + _ticket_lines(tickets, language)))
    return {"type": "home", "blocks": blocks[:100]}


def _ticket_lines(tickets: Sequence[Ticket], language: str) -> str:
    _ = translator(language)
    if not tickets:
        return italic(_("none"))
    lines = [
        f"• *{t.number}* {t.customer_id} · {t.category}"
        + (f" · {t.assignee}" if t.assignee else "")
        for t in tickets[:20]
    ]
    if len(tickets) > 20:
        lines.append(_("…and {count} more").format(count=len(tickets) - 20))
    return "\n".join(lines)


def _age(delta: timedelta, language: str = SOURCE_LANGUAGE) -> str:
    _ = translator(language)
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    return _("{days} days").format(days=hours // 24)
