"""`Reminders.run(day)`: the collections plan carried out, once.

The plan is computed from what is stored (steps sent, pauses, claims, open disputes, the
Teams conversations), then ONE transaction writes, per message, a `collection_steps` row
keyed by (invoice, step) and the outbox row `collections:<invoice>:<step>` that carries the
reminder card. The key makes every other writer's insert a no-op: a second run the same day,
a restart mid-run, two replicas running at once all queue each step once (the loser of a race
writes nothing for that step). A customer with no stored Teams conversation is not sent to:
`RunResult.unreachable` lists them for the agents' digest.

The same transaction queues the agents' digest of the day (`bot.collections.digest`) to
Slack, keyed by the day: whichever run commits first posts it, every other run (a restart,
a second replica) writes nothing.

The card's words are fixed here, in the customer's language (the conversation's, else the
customer's), so the adapter only lays them out: what happens next comes from
`collections_outlook`, the sentence the bot says when asked "when is it due"; how to pay is
the payment article's section, cited.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.answering.invoices.outlook import collections_outlook
from bot.channel import OutboxEvent
from bot.collections.digest import digest, digest_key
from bot.collections.facts import TEAMS, read_facts
from bot.collections.plan import Entry, Facts, Outcome, Plan, plan
from bot.conversation.store import Chat
from bot.delivery.outbox import enqueue, enqueue_once
from bot.knowledge.customers import Customer
from bot.knowledge.folder import Knowledge
from bot.storage.stores import Storage
from bot.types import Passage

PAYMENT_ARTICLE = "payment-methods-and-terms"  # knowledge/articles/<it>[.<lang>].md
PAYMENT_SECTION = 1  # "Which payment methods do you accept?"
PAY_EXCERPT = 600  # characters of the section shown on the card
SLACK = "slack"  # the channel name of the agents' desk


def outbox_key(invoice: str, step: str) -> str:
    return f"collections:{invoice}:{step}"


@dataclass(frozen=True, slots=True)
class Queued:
    """A reminder written to the outbox by this run."""

    entry: Entry
    key: str
    conversation: str
    language: str


@dataclass(frozen=True, slots=True)
class RunResult:
    """What one run did: `queued` (new outbox rows), `already` (steps another run or
    replica queued first: nothing written), `unreachable` (due, but no Teams conversation
    with the customer: for the agents' digest)."""

    plan: Plan
    queued: tuple[Queued, ...]
    already: tuple[Entry, ...]
    unreachable: tuple[Entry, ...]
    digest: bool = False  # this run queued the day's digest for the agents


class Reminders:
    """`digest`: queue the agents' daily digest too (the server does when Slack is set up)."""

    def __init__(
        self,
        storage: Storage,
        knowledge: Callable[[], Knowledge],
        by: str | None = None,
        *,
        digest: bool = True,
    ) -> None:
        self.storage = storage
        self.knowledge = knowledge  # read at each run: the reloader may swap the folder
        self.by = by or socket.gethostname()
        self.digest = digest

    def plan(self, day: date, facts: Facts | None = None) -> Plan:
        knowledge = self.knowledge()
        if facts is None:
            facts = read_facts(self.storage, knowledge.customers)
        partner = knowledge.partner
        return plan(
            knowledge.invoices.unpaid(),  # the same plan: paid invoices get no entry
            knowledge.customers,
            partner.collections,
            partner.support,
            day,
            facts,
        )

    def run(self, day: date) -> RunResult:
        knowledge = self.knowledge()
        facts = read_facts(self.storage, knowledge.customers)
        result = self.plan(day, facts)
        claims = self.storage.collections.open_claims() if self.digest else []
        digested = False
        chats = _chat_of(self.storage.conversations.chats(TEAMS), knowledge.customers)
        customers = {c.id: c for c in knowledge.customers}
        queued: list[Queued] = []
        already: list[Entry] = []
        unreachable = [e for e in result.entries if e.outcome is Outcome.UNREACHABLE]
        db = self.storage.db
        with db.write() as session:
            for entry in result.to_send:
                assert entry.step is not None
                chat = chats.get(entry.customer_id)
                if chat is None:  # no conversation stored since the facts were read
                    unreachable.append(entry)
                    continue
                step = entry.step.step.key
                key = outbox_key(entry.invoice, step)
                if not self.storage.collections.record_step_in(
                    session,
                    invoice=entry.invoice,
                    step=step,
                    customer_id=entry.customer_id,
                    day=day,
                    outbox_key=key,
                    by=self.by,
                ):
                    already.append(entry)
                    continue
                customer = customers[entry.customer_id]
                language = chat.language or customer.language
                enqueue(
                    session,
                    key=key,
                    channel=TEAMS,
                    event=OutboxEvent.PAYMENT_REMINDER,
                    body=reminder_body(knowledge, entry, day, language),
                    conversation=chat.conversation,
                    now=db.now(),
                )
                queued.append(Queued(entry, key, chat.conversation, language))
            if self.digest:
                digested = enqueue_once(
                    session,
                    db.insert,
                    key=digest_key(day),
                    channel=SLACK,
                    event=OutboxEvent.COLLECTIONS_DIGEST,
                    body=digest(result, knowledge.customers, claims, facts.pauses, facts.reachable),
                    now=db.now(),
                )
        return RunResult(result, tuple(queued), tuple(already), tuple(unreachable), digested)


def _chat_of(chats: Sequence[Chat], customers: Sequence[Customer]) -> dict[str, Chat]:
    """Customer id -> their newest reachable Teams conversation."""
    by_tenant = {tenant: c.id for c in customers for tenant in c.tenant_ids}
    found: dict[str, Chat] = {}
    for chat in chats:  # newest first: the first one seen wins
        customer = chat.customer_id or (by_tenant.get(chat.tenant) if chat.tenant else None)
        if customer is not None:
            found.setdefault(customer, chat)
    return found


def payment_passage(knowledge: Knowledge, language: str) -> Passage | None:
    """The payment article's "how to pay" section in `language` (else in English)."""
    for wanted in (language, "en"):
        sections = [
            p
            for p in knowledge.passages
            if p.path.rsplit("/", 1)[-1].split(".")[0] == PAYMENT_ARTICLE and p.language == wanted
        ]
        sections.sort(key=lambda p: int(p.id.rsplit("#", 1)[-1]))
        if sections:
            return sections[min(PAYMENT_SECTION, len(sections) - 1)]
    return None


def reminder_body(knowledge: Knowledge, entry: Entry, day: date, language: str) -> dict[str, Any]:
    """What the reminder card shows (JSON): the invoice's figures, the step, what happens
    next (the bot's own sentence), how to pay (cited)."""
    assert entry.step is not None
    invoice = next(
        (i for i in knowledge.invoices.of(entry.customer_id) if i.number == entry.invoice), None
    )
    outlook = (
        collections_outlook(invoice, knowledge.partner.collections, day, language)
        if invoice is not None
        else ""
    )
    passage = payment_passage(knowledge, language)
    pay: dict[str, Any] | None = None
    if passage is not None:
        citation = passage.citation
        pay = {
            "text": passage.text[:PAY_EXCERPT],
            "title": citation.title,
            "section": citation.section,
            "path": citation.path,
        }
    return {
        "customer": entry.customer_id,
        "invoice": entry.invoice,
        "amount": str(entry.amount),
        "currency": entry.currency,
        "due_date": entry.due_date.isoformat(),
        "days_overdue": entry.days_overdue,
        "step": entry.step.step.key,
        "kind": str(entry.step.step.kind),
        "day": day.isoformat(),
        "language": language,
        "outlook": outlook,
        "pay": pay,
    }
