"""`Assistant.handle(Message) -> Reply`: one customer or agent message, end to end.

Around the side-effect-free `Answerer.decide`, the assistant does what needs state: drops
redelivered events, resolves who is asking (a customer only ever from its tenant), keeps
quiet while a human owns the conversation, opens tickets and records feedback.
`build_assistant(settings)` wires the real parts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.answering.decide import Answerer, Decision
from bot.answering.scope import HUMAN_REQUEST, CategoryMatch
from bot.config import Settings
from bot.conversation.state import OFFER_LIFETIME, ConversationState, PendingOffer
from bot.errors import TicketError, UnknownCustomerError
from bot.knowledge.customers import Customer
from bot.knowledge.folder import Knowledge, load_knowledge
from bot.retrieval.cache import EmbeddingCache
from bot.retrieval.embedder import Embedder, SentenceTransformerEmbedder
from bot.retrieval.index import SearchIndex
from bot.tickets.status import UNCLAIMED
from bot.tickets.store import Ticket, TicketStore
from bot.types import Action, Message, Reply, ReplyKind, Role
from bot.understanding.intents import IntentClassifier, load_examples

Clock = Callable[[], datetime]
_STATUS_QUESTION = re.compile(
    r"\b(status|progress|update)\b.{0,40}\b(ticket|case|request)\b"
    r"|\b(ticket|case|request)\b.{0,40}\b(status|progress)\b"
    r"|\bany (news|update|progress)\b|\bheard back\b",
    re.IGNORECASE,
)
_STATUS_WORDS = {
    "open": "waiting for an agent",
    "reopened": "reopened and waiting for an agent",
    "claimed": "being handled by an agent",
    "waiting_on_customer": "waiting for your answer",
    "resolved": "resolved",
}


class Assistant:
    def __init__(
        self,
        settings: Settings,
        knowledge: Knowledge,
        answerer: Answerer,
        tickets: TicketStore,
        clock: Clock = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.knowledge = knowledge
        self.answerer = answerer
        self.tickets = tickets
        self.clock = clock

    # -- the one entry point -------------------------------------------------------------
    def handle(self, message: Message) -> Reply:
        if message.event_id and not self.tickets.first_delivery(message.channel, message.event_id):
            return Reply("", ReplyKind.DUPLICATE)
        try:
            customer = self._customer(message)
        except UnknownCustomerError:
            return Reply(
                f"Sorry, I can't find a {self.knowledge.partner.name} customer account for your "
                "organisation, so I can't share any billing details. Please contact "
                f"{self._contact()} and we'll set you up.",
                ReplyKind.UNKNOWN_CUSTOMER,
            )
        if message.value:
            return self._action(message, customer)
        if message.role == Role.AGENT:
            return self._for_agent(message, customer)
        assert customer is not None
        state = self._load_state(message)
        owner = self.tickets.open_ticket_for(message.channel, message.conversation)
        if owner is not None and owner.status not in UNCLAIMED:
            try:
                return self._while_human_owns(owner, message)
            except TicketError:
                owner = None  # resolved meanwhile: the conversation is the bot's again
        offer = state.offer(self.clock())
        decision = self.answerer.decide(
            message.text,
            customer,
            today=self._today(),
            state=state,
            offer_pending=offer is not None,
        )
        if decision.reply.kind is ReplyKind.ESCALATE:
            reply = self._escalate(message, customer, decision, state)
        elif owner is not None:
            reply = self._answer_beside_ticket(owner, message, decision)
        else:
            reply = decision.reply
            if reply.kind in (ReplyKind.NOT_SURE, ReplyKind.OUT_OF_SCOPE):
                self._note_unanswered(message, customer, decision)
        self._save_state(message, state, decision, reply)
        return reply

    def _for_agent(self, message: Message, customer: Customer | None) -> Reply:
        """Agents may name the customer (name, id, invoice number), or keep talking about the
        one they named before; they get the computed answers and are never offered a ticket."""
        state = self._load_state(message)
        customer = (
            customer
            or self.answerer.named_customer(message.text)
            or (self.knowledge.customer(state.customer) if state.customer else None)
        )
        decision = self.answerer.decide(
            message.text, customer, agent=True, today=self._today(), state=state
        )
        state = replace(
            state,
            customer=customer.id if customer else state.customer,
            shown=decision.shown if decision.shown is not None else state.shown,
        )
        self.tickets.save_conversation_state(message.channel, message.conversation, state.to_json())
        return decision.reply

    # -- conversation state ----------------------------------------------------------------
    def _load_state(self, message: Message) -> ConversationState:
        stored = self.tickets.conversation_state(message.channel, message.conversation)
        return ConversationState.from_json(stored)

    def _save_state(
        self, message: Message, state: ConversationState, decision: Decision, reply: Reply
    ) -> None:
        """What this turn showed and offered, for the next turn's follow-ups and "yes"."""
        offer = None
        if decision.offer and reply.kind in (ReplyKind.NOT_SURE, ReplyKind.OUT_OF_SCOPE):
            offer = PendingOffer(decision.offer, message.text, self.clock() + OFFER_LIFETIME)
        following = replace(
            state,
            shown=decision.shown if decision.shown is not None else state.shown,
            pending_offer=offer,
        )
        following = following.said("customer", message.text).said("bot", reply.text)
        self.tickets.save_conversation_state(
            message.channel, message.conversation, following.to_json()
        )

    # -- hand-off while no agent has claimed the ticket ------------------------------------
    def _answer_beside_ticket(self, ticket: Ticket, message: Message, decision: Decision) -> Reply:
        """The ticket waits for an agent; the bot keeps answering what it can, and the agents
        see the exchange on the ticket."""
        reply = decision.reply
        if _STATUS_QUESTION.search(message.text):
            return self._status(ticket)
        if reply.kind in (ReplyKind.NOT_SURE, ReplyKind.OUT_OF_SCOPE):
            self.tickets.add_customer_message(ticket.number, message.text)
            return Reply(
                f"I've added this to your open ticket {ticket.number}; an agent will answer it.",
                ReplyKind.RELAYED,
                ticket=ticket.info(),
            )
        if message.text.strip():
            self.tickets.add_answered_exchange(ticket.number, message.text, reply.text)
        return reply

    def welcome(self, tenant_id: str | None = None) -> Reply:
        partner = self.knowledge.partner
        customer = self.knowledge.customer_for_tenant(tenant_id) if tenant_id else None
        hello = f"Hello {customer.name}! " if customer else "Hello! "
        return Reply(
            f"{hello}I'm the {partner.name} billing assistant. Ask me about your invoices "
            "(what is due, why a bill changed, one invoice's lines), our payment, cancellation "
            "and support policies, or ask to talk to a person. Our billing team is available "
            f"{partner.support.describe()}; you can also reach us at {self._contact()}.",
            ReplyKind.WELCOME,
        )

    # -- who is asking -------------------------------------------------------------------
    def _customer(self, message: Message) -> Customer | None:
        trusted = message.role == Role.AGENT or message.channel == "cli"
        if trusted and message.customer_id:
            customer = self.knowledge.customer(message.customer_id)
            if customer is None:
                raise UnknownCustomerError(f"no customer with id {message.customer_id!r}")
            return customer
        if message.role == Role.AGENT:
            return None  # an agent asking about policy, not about one customer
        customer = (
            self.knowledge.customer_for_tenant(message.tenant_id) if message.tenant_id else None
        )
        if customer is None:
            raise UnknownCustomerError(f"no customer for tenant {message.tenant_id!r}")
        return customer

    # -- hand-off ------------------------------------------------------------------------
    def _status(self, ticket: Ticket) -> Reply:
        return Reply(
            f"Your ticket {ticket.number} is {_STATUS_WORDS.get(ticket.status, ticket.status)}."
            " I've kept everything you wrote on it.",
            ReplyKind.TICKET_STATUS,
            ticket=ticket.info(),
        )

    def _while_human_owns(self, ticket: Ticket, message: Message) -> Reply:
        if _STATUS_QUESTION.search(message.text):
            return self._status(ticket)
        if not message.text.strip():
            return Reply(
                "I can only pass text on to the agent; please describe it in words.",
                ReplyKind.RELAYED,
                ticket=ticket.info(),
            )
        self.tickets.add_customer_message(ticket.number, message.text)
        return Reply("", ReplyKind.RELAYED, ticket=ticket.info())  # never talk over an agent

    def _escalate(
        self,
        message: Message,
        customer: Customer,
        decision: Decision,
        state: ConversationState | None = None,
    ) -> Reply:
        """Open a ticket carrying the conversation that led to it (or add to the open one)."""
        assert decision.escalation is not None
        category = decision.escalation.category
        existing = self.tickets.open_ticket_for(message.channel, message.conversation)
        if existing is not None:  # one conversation, one ticket: add to it
            ticket = self.tickets.add_customer_message(existing.number, message.text)
            return Reply(
                f"I've added this to your open ticket {ticket.number}.",
                ReplyKind.ESCALATE,
                decision.reply.confidence,
                ticket=ticket.info(),
            )
        else:
            ticket = self.tickets.open_ticket(
                customer_id=customer.id,
                category=category.id,
                route=category.route,
                question=_question_of(message.text, state),
                transcript=[*(state.transcript if state else ()), ("customer", message.text)],
                evidence=decision.reply.evidence,
                channel=message.channel,
                conversation=message.conversation,
            )
        expected = self.expected_reply()
        route = self.knowledge.rules.routes.get(category.route)
        who = route.name if route else "our team"
        figures = f" For reference: {decision.detail}" if decision.detail else ""
        return Reply(
            f"I've opened ticket {ticket.number} for you ({category.name.lower()}); {who} will "
            f"take it from here. {expected}{figures}",
            ReplyKind.ESCALATE,
            decision.reply.confidence,
            ticket=ticket.info(expected_reply=expected),
            evidence=decision.reply.evidence,
        )

    def expected_reply(self) -> str:
        partner = self.knowledge.partner
        now = self.clock()
        if not partner.support.hours or partner.support.is_open(now):
            return f"Expect a first reply within {partner.first_response}."
        opening = partner.support.next_opening(now)
        if opening is None:
            return f"Expect a first reply within {partner.first_response}."
        return (
            f"Our team is offline right now (hours: {partner.support.describe()}); expect a "
            f"reply after we open on {opening:%A %d %B at %H:%M} {opening.tzname()}."
        )

    def _note_unanswered(self, message: Message, customer: Customer, decision: Decision) -> None:
        """Keep the question for the admins' `billing-bot unanswered`: what to write next."""
        nearest = decision.hits[0].passage if decision.hits else None
        self.tickets.record_unanswered(
            channel=message.channel,
            customer_id=customer.id,
            kind=str(decision.reply.kind),
            question=message.text,
            confidence=decision.reply.confidence,
            nearest=f"{nearest.path} › {nearest.section}" if nearest else None,
        )

    # -- card buttons ----------------------------------------------------------------------
    def _action(self, message: Message, customer: Customer | None) -> Reply:
        assert message.value is not None
        action = str(message.value.get("action", ""))
        if action == Action.FEEDBACK:
            helpful = bool(message.value.get("helpful"))
            self.tickets.record_feedback(
                message.channel,
                message.conversation,
                helpful,
                str(message.value.get("about", ""))[:500],
            )
            if helpful:
                return Reply("Thanks for the feedback!", ReplyKind.FEEDBACK)
            # Not helpful: the bot is not sure it answered, so it offers a person.
            return Reply(
                "Thanks for telling me. Would you like to talk to a person about it?",
                ReplyKind.NOT_SURE,
            )
        if action == Action.TALK_TO_PERSON and customer is not None:
            question = str(
                message.value.get("question")
                or message.text
                or "The customer asked to talk to a person."
            )
            category = self.knowledge.rules.category(HUMAN_REQUEST)
            if category is None:
                return Reply(
                    f"Please contact {self._contact()}; a person will help you.", ReplyKind.ESCALATE
                )
            decision = Decision(
                Reply("", ReplyKind.ESCALATE, 1.0), CategoryMatch(category, 1.0, "button")
            )
            return self._escalate(
                Message(
                    question,
                    message.channel,
                    message.conversation,
                    message.user_id,
                    message.user_name,
                    message.tenant_id,
                    message.role,
                ),
                customer,
                decision,
            )
        if action == Action.SOLVED:
            number = str(message.value.get("ticket", ""))
            if message.value.get("solved"):
                return Reply(
                    "Great, glad it's sorted. Anything else I can help with?", ReplyKind.FEEDBACK
                )
            try:
                ticket = self.tickets.get(number)
                if customer is None or ticket.customer_id != customer.id:
                    raise TicketError(f"{number} is not this customer's ticket")
                if ticket.status == "resolved":
                    ticket = self.tickets.reopen(number, "customer")
            except TicketError:
                return Reply("I can't find that ticket on your account.", ReplyKind.NOT_SURE)
            return Reply(
                f"Sorry about that. I've reopened ticket {number}; an agent will pick it up again.",
                ReplyKind.TICKET_STATUS,
                ticket=ticket.info(),
            )
        return Reply("Sorry, I didn't understand that button.", ReplyKind.NOT_SURE)

    def _contact(self) -> str:
        contact = self.knowledge.partner.contact
        return (
            " or ".join(v for k, v in contact.items() if k in ("email", "phone"))
            or "your account manager"
        )

    def _today(self):
        zone = self.knowledge.partner.support.timezone
        return self.clock().astimezone(ZoneInfo(zone)).date()


def _question_of(text: str, state: ConversationState | None) -> str:
    """What the ticket is about: an accepted offer's question, not the "yes" that accepted it."""
    offer = state.pending_offer if state else None
    return f"{offer.question} (accepted: {text})" if offer else text


def build_assistant(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    knowledge: Knowledge | None = None,
    tickets: TicketStore | None = None,
    clock: Clock | None = None,
    progress: Callable[[int], None] | None = None,
) -> Assistant:
    """Load the knowledge folder, build (or refresh from the cache) the index, open storage."""
    knowledge = knowledge or load_knowledge(settings.knowledge_dir)
    embedder = embedder or SentenceTransformerEmbedder(settings.embedding_model)
    cache = EmbeddingCache(settings.embedding_cache)
    index = SearchIndex(knowledge.passages, embedder, cache, progress)
    intents = IntentClassifier(load_examples(knowledge.rules), embedder, cache)
    answerer = Answerer(knowledge, index, intents, settings.answer_threshold)
    store = tickets or TicketStore.from_url(settings.database)
    return Assistant(settings, knowledge, answerer, store, clock or (lambda: datetime.now(UTC)))
