"""`Assistant.respond(Message) -> Handled`: one customer or agent message, end to end.

One turn reads top to bottom in `respond`:

1. a redelivered event is answered from what its first delivery stored;
2. decide, reading only: who is asking (a customer only ever from its tenant), the
   conversation's state, whether a human owns it, what `Answerer.decide` (pure) says. The
   decision is an `Effects`: what the turn will change, as a function of its `Turn`;
3. one commit: the event's id, those changes (tickets, feedback, unanswered questions, the
   conversation's state) and the reply itself, as an outbox row the adapter sends inline.

`handle(Message) -> Reply` is the same for callers that only want the reply (the CLI, eval);
`greet(Message) -> Handled` is the welcome on install, queued and sent the same way.
`build_assistant(settings)` wires the real parts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.answering.compose import beside_text, citations_of, decide_parts
from bot.answering.decide import Answerer, Decision
from bot.answering.scope import HUMAN_REQUEST, CategoryMatch
from bot.collections.disputes import DISPUTE_CATEGORY, disputed_line, open_disputes
from bot.collections.plan import Facts
from bot.collections.store import Happened
from bot.config import Settings
from bot.conversation.state import OFFER_LIFETIME, ConversationState, PendingOffer
from bot.conversation.turns import TurnNote, button_intent
from bot.errors import TicketError, UnknownCustomerError
from bot.intake import admit
from bot.invoices.folder import load_served
from bot.knowledge.customers import Customer
from bot.knowledge.folder import Knowledge
from bot.locale import N_, Translator, formats, translator
from bot.reasons import Reason, known_reason
from bot.reload import build_answerer
from bot.retrieval.batching import BatchingEmbedder
from bot.retrieval.embedder import Embedder, SentenceTransformerEmbedder, make_embedder
from bot.storage.stores import BeforeTurn, Storage
from bot.storage.turn import INLINE_LEASE, AlreadyHandled, Handled, StaleTurn, Turn
from bot.tickets.status import UNCLAIMED, Status
from bot.tickets.values import Ticket
from bot.types import Action, Message, Reply, ReplyKind, Role
from bot.understanding.language import SERVED_LANGUAGES, LanguageDetector

Clock = Callable[[], datetime]
# What a decision does inside the turn's transaction; returns the reply.
Effects = Callable[[Turn], Reply]
# Replies after which a "yes" accepts the ticket the decision offered.
_OFFERING = frozenset(
    {ReplyKind.NOT_SURE, ReplyKind.OUT_OF_SCOPE, ReplyKind.ANSWER, ReplyKind.INVOICE}
)

ASKED_FOR_A_PERSON = N_("The customer asked to talk to a person.")
DISPUTED_BY_BUTTON = N_("The customer disputes invoice {number}.")
_STATUS_WORDS = {
    Status.OPEN: N_("Your ticket {number} is waiting for an agent."),
    Status.REOPENED: N_("Your ticket {number} is reopened and waiting for an agent."),
    Status.CLAIMED: N_("Your ticket {number} is being handled by an agent."),
    Status.WAITING_ON_CUSTOMER: N_("Your ticket {number} is waiting for your answer."),
    Status.RESOLVED: N_("Your ticket {number} is resolved."),
}


class Assistant:
    def __init__(
        self,
        settings: Settings,
        answerer: Answerer,
        storage: Storage,
        clock: Clock = lambda: datetime.now(UTC),
        detector: LanguageDetector | None = None,
    ) -> None:
        self.settings = settings
        self.detector = detector or LanguageDetector()  # its models load on first use
        # The answerer carries the knowledge it answers from: the one reference that
        # `bot.reload.KnowledgeReloader` swaps when the folder changes.
        self.answerer = answerer
        self.storage = storage
        self.tickets = storage.tickets
        self.clock = clock

    @property
    def knowledge(self) -> Knowledge:
        return self.answerer.knowledge

    # -- the one entry point -------------------------------------------------------------
    def respond(self, message: Message) -> Handled:
        if self.is_stranger(message):  # answered, never stored (see `is_stranger`)
            language = self.detector.language_of(message.text, customer=message.locale[:2])
            return Handled(self._unknown_customer(language))
        return self._turn(message, self._decide)

    def greet(self, message: Message) -> Handled:
        """The welcome when the app is installed, as a turn of its own: `message` names the
        conversation, the tenant and an event id that says "once" (e.g. per conversation and
        day); the welcome is queued as an outbox row in the turn's commit, like any reply."""
        if self.is_stranger(message):
            return Handled(self.welcome(None))
        return self._turn(message, lambda m, _before: _just(self.welcome(m.tenant_id)))

    def is_stranger(self, message: Message) -> bool:
        """A customer-side message naming no customer (an unknown tenant). Its reply is the
        same polite sentence every time, so it is answered without a turn: nothing is
        stored for it (no inbound event, conversation or outbox row), so tenants anyone can
        invent cannot fill the database."""
        try:
            self._customer(message)
        except UnknownCustomerError:
            return True
        return False

    def _turn(self, message: Message, decide: Callable[[Message, BeforeTurn], Effects]) -> Handled:
        # The one place a message enters: from here on (and in every store) its text is
        # masked and storable, and its ids fit their columns.
        message = admit(message)
        for _ in range(3):
            before = self.storage.before_turn(message)  # one read: seen? state, ticket
            if before.seen is not None:  # a redelivery: answered from its first delivery
                return self._again(before.seen)
            effects = decide(message, before)
            try:
                with self.storage.turn(message, before) as turn:
                    if before.held:
                        turn.release_held()
                    return turn.reply(effects(turn))
            except AlreadyHandled:  # a concurrent delivery of the same event committed first
                return Handled.duplicate()
            except StaleTurn:  # what the decision read changed meanwhile: decide again
                continue
        raise TicketError(f"the conversation {message.conversation!r} kept changing; try again")

    def handle(self, message: Message) -> Reply:
        """The reply alone (a redelivered event: an empty `DUPLICATE` reply)."""
        handled = self.respond(message)
        return handled.reply if not handled.repeat else Reply("", ReplyKind.DUPLICATE)

    def _again(self, seen: dict[str, object]) -> Handled:
        """A redelivered event: its reply once more if it never went out, else nothing."""
        key = seen.get("outbox")
        stored = seen.get("reply")
        if not isinstance(key, str) or not isinstance(stored, dict):
            return Handled.duplicate()
        claim = self.storage.outbox.claim_key(key, now=self.storage.db.now(), lease=INLINE_LEASE)
        return Handled(Reply.from_json(stored), claim, repeat=True)

    def _decide(self, message: Message, before: BeforeTurn) -> Effects:
        """What the turn will do, from reads only (the slow part: embeddings, retrieval):
        `before` holds the conversation's state and its active ticket, if any."""
        try:
            customer = self._customer(message)
        except UnknownCustomerError:
            language = self.detector.language_of(message.text, customer=message.locale[:2])
            return _just(self._unknown_customer(language))
        if message.value is not None:  # a button, even one whose data is empty
            return self._action(message, customer, before.state)
        if message.role == Role.AGENT:
            return self._for_agent(message, customer, before.state)
        assert customer is not None
        owner, state = before.owner, before.state
        language = self.detector.language_of(
            message.text,
            conversation=state.language if state.transcript else None,
            customer=customer.language,
            respell=self.answerer.speller.towards_folder if self.answerer.speller else None,
        )
        if owner is not None and owner.status not in UNCLAIMED:
            note = TurnNote(customer.id, None, f"ticket:{owner.category}")
            return _noted(note, _in(language, self._while_human_owns(owner, message, language)))
        state = replace(state, language=language)  # kept by `_remembering`
        today = self.today()
        decision = decide_parts(
            self._spelt(message.text, language),
            state,
            state.offer(self.clock()) is not None,
            lambda part, conversation, pending: self.answerer.decide(
                part,
                customer,
                today=today,
                state=conversation,
                offer_pending=pending,
                language=language,
            ),
            language=language,
        )
        effects: Effects
        if decision.reply.kind is ReplyKind.TICKET_STATUS:
            told = self._ticket_status(customer, owner, language)
            effects = _just(_with_answers_beside(told, decision.beside))
        elif decision.reply.kind is ReplyKind.ESCALATE:
            effects = functools.partial(
                self._escalate,
                customer,
                decision,
                _question_of(message.text, state, translator(self.settings.agent_language)),
                state=state,
                said=message.text,
                language=language,
            )
        elif owner is not None:
            effects = functools.partial(
                self._answer_beside_ticket, owner, message, decision, language=language
            )
        elif decision.reply.kind in (ReplyKind.NOT_SURE, ReplyKind.OUT_OF_SCOPE):
            effects = functools.partial(self._unanswered, customer, decision)
        else:
            effects = _just(decision.reply)
        return self._remembering(message, customer, state, decision, _in(language, effects))

    # -- conversation state ----------------------------------------------------------------
    def _remembering(
        self,
        message: Message,
        customer: Customer,
        state: ConversationState,
        decision: Decision,
        effects: Effects,
    ) -> Effects:
        """`effects`, then what this turn showed and offered kept for the next turn's
        follow-ups and "yes" (written in the same commit), and the turn noted for the
        resolution report (its intent; an invoice look-up's topic is its intent)."""

        def apply(turn: Turn) -> Reply:
            reply = effects(turn)
            offer = None
            # A declined reply offers a ticket; so does an answer naming a question of the
            # message it could not answer (bot/answering/compose).
            if decision.offer and reply.kind in _OFFERING:
                offer = PendingOffer(decision.offer, message.text, self.clock() + OFFER_LIFETIME)
            shown = decision.shown.intent if decision.shown is not None else None
            turn.note = TurnNote(
                customer.id,
                decision.intent.intent if decision.intent is not None else None,
                shown if reply.kind is ReplyKind.INVOICE else None,
            )
            turn.offered = offer is not None
            following = replace(
                state,
                shown=decision.shown if decision.shown is not None else state.shown,
                pending_offer=offer,
            )
            turn.state = following.said("customer", message.text).said("bot", reply.text)
            return reply

        return apply

    def _for_agent(
        self, message: Message, customer: Customer | None, state: ConversationState
    ) -> Effects:
        """Agents may name the customer (name, id, invoice number), or keep talking about the
        one they named before; they get the computed answers and are never offered a ticket,
        in the agents' language (AGENT_LANGUAGE)."""
        language = self.settings.agent_language
        text = self._spelt(message.text, language)
        customer = (
            customer
            or self.answerer.named_customer(text)
            or (self.knowledge.customer(state.customer) if state.customer else None)
        )
        today = self.today()
        decision = decide_parts(
            text,
            state,
            False,
            lambda part, conversation, _pending: self.answerer.decide(
                part,
                customer,
                agent=True,
                today=today,
                state=conversation,
                language=language,
                facts=self._collections_facts,
                reminded=self._reminders_sent,
            ),
            language=language,
            agent=True,
        )

        def remember(turn: Turn) -> Reply:
            turn.state = replace(
                state,
                customer=customer.id if customer else state.customer,
                shown=decision.shown if decision.shown is not None else state.shown,
            )
            return replace(decision.reply, language=language)

        return remember

    def _reminders_sent(self, customer_id: str) -> list[Happened]:
        """The payment reminders sent to a customer, oldest first (agents' "when was X last
        reminded")."""
        return [h for h in self.storage.collections.history(customer_id) if h.kind == "sent"]

    def _collections_facts(self) -> Facts:
        """What the collections plan knows beyond the invoices, for agents' questions across
        customers: open dispute tickets."""
        return Facts(disputes=open_disputes(self.storage.tickets.find()))

    # -- hand-off while no agent has claimed the ticket ------------------------------------
    def _answer_beside_ticket(
        self, ticket: Ticket, message: Message, decision: Decision, turn: Turn, *, language: str
    ) -> Reply:
        """The ticket waits for an agent; the bot keeps answering what it can, and the agents
        see the exchange on the ticket."""
        reply = decision.reply
        _ = translator(language)
        try:
            if reply.kind in (ReplyKind.NOT_SURE, ReplyKind.OUT_OF_SCOPE):
                turn.add_to_ticket(ticket.number, message.text)
                return Reply(
                    _(
                        "I've added this to your open ticket {number}; an agent will answer it."
                    ).format(number=ticket.number),
                    ReplyKind.RELAYED,
                    ticket=ticket.info(),
                )
            if message.text.strip():
                turn.add_exchange_to_ticket(ticket.number, message.text, reply.text)
        except TicketError as exc:  # resolved meanwhile: decide again without it
            raise StaleTurn(str(exc)) from exc
        return reply

    def _unknown_customer(self, language: str = "en") -> Reply:
        _ = translator(language)
        return Reply(
            _(
                "Sorry, I can't find a {partner} customer account for your organisation, so I "
                "can't share any billing details. Please contact {contact} and we'll set you up."
            ).format(partner=self.knowledge.partner.name, contact=self._contact(language)),
            ReplyKind.UNKNOWN_CUSTOMER,
            language=language,
        )

    def _spelt(self, text: str, language: str) -> str:
        """`text` with its slips corrected, before it is cut into its questions: a misspelt
        joint ("nad can you") does not join two questions."""
        speller = self.answerer.speller
        return text if speller is None else speller.correct(text, language)

    def warm_up(self) -> None:
        """Load what the first answer needs (the embedding model, lazily loaded; the
        spelling correction's ordinary words) by deciding on a question nobody asked:
        `decide` has no side effects."""
        self.detector.load()
        if self.answerer.speller is not None:
            self.answerer.speller.load(SERVED_LANGUAGES)  # their ordinary words
        self.answerer.decide("How do I pay my invoice?", None, today=self.today())
        self.answerer.decide("¿Cómo pago mi factura?", None, today=self.today(), language="es")

    def welcome(self, tenant_id: str | None = None) -> Reply:
        partner = self.knowledge.partner
        customer = self.knowledge.customer_for_tenant(tenant_id) if tenant_id else None
        language = customer.language if customer else "en"
        _ = translator(language)
        hello = _("Hello {name}!").format(name=customer.name) if customer else _("Hello!")
        return Reply(
            hello
            + " "
            + _(
                "I'm the {partner} billing assistant. Ask me about your invoices (what is due, "
                "why a bill changed, one invoice's lines), our payment, cancellation and "
                "support policies, or ask to talk to a person. Our billing team is available "
                "{hours}; you can also reach us at {contact}."
            ).format(
                partner=partner.name,
                hours=partner.support.describe(language),
                contact=self._contact(language),
            ),
            ReplyKind.WELCOME,
            language=language,
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
    def _status(self, ticket: Ticket, language: str = "en") -> Reply:
        _ = translator(language)
        words = _STATUS_WORDS.get(ticket.status)
        said = (
            _(words).format(number=ticket.number) if words else f"{ticket.number}: {ticket.status}."
        )
        return Reply(
            said + " " + _("I've kept everything you wrote on it."),
            ReplyKind.TICKET_STATUS,
            ticket=ticket.info(),
        )

    def _ticket_status(self, customer: Customer, active: Ticket | None, language: str) -> Reply:
        """How the customer's ticket goes: the conversation's, else their latest one still
        open, else their latest; none yet, and the bot says so."""
        if active is None:
            tickets = self.tickets.find(customer_id=customer.id)
            waiting = [t for t in tickets if t.status is not Status.RESOLVED]
            active = next(reversed(waiting or tickets), None)
        if active is not None:
            return self._status(active, language)
        _ = translator(language)
        return Reply(
            _(
                "I can't find a ticket on your account. If you'd like a person from our team to "
                "look at something, tell me what it is and I'll open one."
            ),
            ReplyKind.TICKET_STATUS,
        )

    def _while_human_owns(self, ticket: Ticket, message: Message, language: str) -> Effects:
        _ = translator(language)
        if not message.text.strip():
            return _just(
                Reply(
                    _("I can only pass text on to the agent; please describe it in words."),
                    ReplyKind.RELAYED,
                    ticket=ticket.info(),
                )
            )
        if self.answerer.asks_ticket_status(message.text, language):
            return _just(self._status(ticket, language))

        def relay(turn: Turn) -> Reply:
            try:
                relayed = turn.add_to_ticket(ticket.number, message.text)
            except TicketError as exc:  # resolved meanwhile: the conversation is the bot's
                raise StaleTurn(str(exc)) from exc
            return Reply("", ReplyKind.RELAYED, ticket=relayed.info())  # never talk over an agent

        return relay

    def _escalate(
        self,
        customer: Customer,
        decision: Decision,
        question: str,
        turn: Turn,
        *,
        state: ConversationState | None = None,
        said: str | None = None,
        language: str = "en",
    ) -> Reply:
        """Open a ticket carrying the conversation that led to it (or add to the open one)."""
        assert decision.escalation is not None
        _ = translator(language)
        category = decision.escalation.category
        ticket, opened = turn.open_or_append(
            customer_id=customer.id,
            category=category.id,
            route=category.route,
            question=question,
            evidence=decision.reply.evidence,
            earlier=state.transcript if state else (),
            said=said,
        )
        if not opened:  # one conversation, one ticket: added to it
            return _with_answers_beside(
                Reply(
                    _("I've added this to your open ticket {number}.").format(number=ticket.number),
                    ReplyKind.ESCALATE,
                    decision.reply.confidence,
                    ticket=ticket.info(),
                ),
                decision.beside,
            )
        expected = self.expected_reply(language)
        route = self.knowledge.rules.routes.get(category.route)
        who = route.name_in(language) if route else _("our team")
        opened_text = _(
            "I've opened ticket {number} for you ({category}); {who} will take it from here."
        ).format(number=ticket.number, category=category.name_in(language).lower(), who=who)
        figures = (
            " " + _("For reference: {figures}").format(figures=decision.detail)
            if decision.detail
            else ""
        )
        return _with_answers_beside(
            Reply(
                f"{opened_text} {expected}{figures}",
                ReplyKind.ESCALATE,
                decision.reply.confidence,
                ticket=ticket.info(expected_reply=expected),
                evidence=decision.reply.evidence,
            ),
            decision.beside,
        )

    def expected_reply(self, language: str = "en") -> str:
        _ = translator(language)
        partner = self.knowledge.partner
        now = self.clock()
        within = _("Expect a first reply within {time}.").format(
            time=partner.first_response_in(language)
        )
        if not partner.support.hours or partner.support.is_open(now):
            return within
        opening = partner.support.next_opening(now)
        if opening is None:
            return within
        return _(
            "Our team is offline right now (hours: {hours}); expect a reply after we open on "
            "{when} {zone}."
        ).format(
            hours=partner.support.describe(language),
            when=formats.opening(opening, language),
            zone=opening.tzname(),
        )

    def _unanswered(self, customer: Customer, decision: Decision, turn: Turn) -> Reply:
        """Keep the question for the admins' `billing-bot unanswered`: what to write next."""
        nearest = decision.hits[0].passage if decision.hits else None
        turn.note_unanswered(
            customer_id=customer.id,
            kind=decision.reply.kind,
            confidence=decision.reply.confidence,
            nearest=f"{nearest.path} › {nearest.section}" if nearest else None,
        )
        return decision.reply

    # -- card buttons ----------------------------------------------------------------------
    def _action(
        self, message: Message, customer: Customer | None, state: ConversationState
    ) -> Effects:
        language = state.language if state.transcript else (customer.language if customer else "en")
        effects = _in(language, self._button(message, customer, state, language))
        if customer is None:
            return effects
        assert message.value is not None
        return _noted(TurnNote(customer.id, button_intent(message.value)), effects)

    def _button(
        self, message: Message, customer: Customer | None, state: ConversationState, language: str
    ) -> Effects:
        assert message.value is not None
        value = message.value
        action = str(value.get("action", ""))
        _ = translator(language)
        if action == Action.FEEDBACK:
            return functools.partial(
                self._vote,
                bool(value.get("helpful")),
                str(value.get("about", ""))[:500],
                known_reason(value.get("reason")),
                language=language,
            )
        if action == Action.TALK_TO_PERSON and customer is not None:
            to_agents = translator(self.settings.agent_language)
            question = str(value.get("question") or message.text or to_agents(ASKED_FOR_A_PERSON))
            category = self.knowledge.rules.category(HUMAN_REQUEST)
            if category is None:
                return _just(self._contact_us(language))
            decision = Decision(
                Reply("", ReplyKind.ESCALATE, 1.0), CategoryMatch(category, 1.0, "button")
            )
            return functools.partial(
                self._escalate, customer, decision, question, state=state, language=language
            )
        if action in (Action.INVOICE_PAID, Action.DISPUTE_INVOICE) and customer is not None:
            number = str(value.get("invoice", "")).upper()
            if self.knowledge.invoices.owner_of(number) != customer.id:
                return _just(
                    Reply(_("I can't find that invoice on your account."), ReplyKind.NOT_SURE)
                )
            if action == Action.INVOICE_PAID:
                return functools.partial(self._paid, customer, number, language=language)
            return self._dispute(customer, number, state, language)
        if action == Action.SOLVED:
            number = str(value.get("ticket", ""))
            if value.get("solved"):
                return _just(
                    Reply(
                        _("Great, glad it's sorted. Anything else I can help with?"),
                        ReplyKind.FEEDBACK,
                    )
                )
            return functools.partial(self._reopen, customer, number, language=language)
        return _just(Reply(_("Sorry, I didn't understand that button."), ReplyKind.NOT_SURE))

    def _contact_us(self, language: str) -> Reply:
        """What a button that needs a person says when the folder has no category for it."""
        _ = translator(language)
        return Reply(
            _("Please contact {contact}; a person will help you.").format(
                contact=self._contact(language)
            ),
            ReplyKind.ESCALATE,
        )

    @staticmethod
    def _paid(customer: Customer, number: str, turn: Turn, *, language: str = "en") -> Reply:
        """A reminder's "I've paid": recorded once (reminders for the invoice stop until the
        next invoice import says otherwise), and the agents are told."""
        _ = translator(language)
        if turn.claim_payment(number, customer.id):
            text = _(
                "Thank you. I've noted that invoice {number} is paid; we'll stop the reminders "
                "for it while our team confirms the payment."
            )
        else:
            text = _("You've already told us invoice {number} is paid; our team is confirming it.")
        return Reply(text.format(number=number), ReplyKind.FEEDBACK)

    def _dispute(
        self, customer: Customer, number: str, state: ConversationState, language: str
    ) -> Effects:
        """A reminder's "Dispute this invoice": a dispute ticket naming the invoice, with its
        lines as evidence (which pauses its reminders, see `bot.collections.disputes`); a
        second click points to the ticket already open."""
        _ = translator(language)
        held = open_disputes(self.tickets.find(customer_id=customer.id)).get(number)
        if held is not None and held.ticket:
            return _just(
                Reply(
                    _("Invoice {number} is already disputed on ticket {ticket}.").format(
                        number=number, ticket=held.ticket
                    ),
                    ReplyKind.TICKET_STATUS,
                )
            )
        category = self.knowledge.rules.category(DISPUTE_CATEGORY)
        if category is None:
            return _just(self._contact_us(language))
        to_agents = translator(self.settings.agent_language)
        question = to_agents(DISPUTED_BY_BUTTON).format(number=number)
        invoice = next(i for i in self.knowledge.invoices.of(customer.id) if i.number == number)
        evidence = tuple(
            f"{line.source}: {number} {line.product} {line.amount} {invoice.currency}"
            for line in invoice.lines
        )
        decision = Decision(
            Reply("", ReplyKind.ESCALATE, 1.0, evidence=evidence),
            CategoryMatch(category, 1.0, "button"),
        )
        return functools.partial(
            self._disputed, customer, decision, question, number, state=state, language=language
        )

    def _disputed(
        self,
        customer: Customer,
        decision: Decision,
        question: str,
        number: str,
        turn: Turn,
        *,
        state: ConversationState,
        language: str,
    ) -> Reply:
        """The dispute ticket opened, or the conversation's active ticket added to: when that
        one is of another category, the invoice is marked disputed on its evidence (with its
        lines), so the plan holds it as it would on a dispute ticket."""
        reply = self._escalate(customer, decision, question, turn, state=state, language=language)
        if reply.ticket is not None and reply.ticket.category != DISPUTE_CATEGORY:
            turn.add_evidence(
                reply.ticket.number, [disputed_line(number), *decision.reply.evidence]
            )
        return reply

    @staticmethod
    def _vote(
        helpful: bool, about: str, reason: Reason | None, turn: Turn, *, language: str = "en"
    ) -> Reply:
        _ = translator(language)
        turn.vote(helpful, about, reason)
        if helpful:
            return Reply(_("Thanks for the feedback!"), ReplyKind.FEEDBACK)
        # Not helpful: the bot is not sure it answered, so it offers a person.
        return Reply(
            _("Thanks for telling me. Would you like to talk to a person about it?"),
            ReplyKind.NOT_SURE,
        )

    def _reopen(
        self, customer: Customer | None, number: str, turn: Turn, *, language: str = "en"
    ) -> Reply:
        _ = translator(language)
        try:
            ticket = self.tickets.get(number)
            if customer is None or ticket.customer_id != customer.id:
                raise TicketError(f"{number} is not this customer's ticket")
            if ticket.status == Status.RESOLVED:
                ticket = turn.reopen(number, "customer")
        except TicketError:
            return Reply(_("I can't find that ticket on your account."), ReplyKind.NOT_SURE)
        return Reply(
            _(
                "Sorry about that. I've reopened ticket {number}; an agent will pick it up again."
            ).format(number=number),
            ReplyKind.TICKET_STATUS,
            ticket=ticket.info(),
        )

    def _contact(self, language: str = "en") -> str:
        _ = translator(language)
        contact = self.knowledge.partner.contact
        return _(" or ").join(v for k, v in contact.items() if k in ("email", "phone")) or _(
            "your account manager"
        )

    def today(self) -> date:
        """Today in the partner's timezone (by the core's clock)."""
        zone = self.knowledge.partner.support.timezone
        return self.clock().astimezone(ZoneInfo(zone)).date()


def build_assistant(
    settings: Settings,
    *,
    embedder: Embedder | None = None,
    knowledge: Knowledge | None = None,
    storage: Storage | None = None,
    clock: Clock | None = None,
    progress: Callable[[int], None] | None = None,
    batch_queries: bool = False,
    others: Mapping[str, Embedder] | None = None,
) -> Assistant:
    """Open storage, load the knowledge folder (its invoices into the database), build (or
    refresh from the cache) the index.

    `batch_queries` (the server): concurrent turns' questions are encoded together, by one
    thread, in one call (see `bot.retrieval.batching`)."""
    storage = storage or Storage.from_url(settings.database, pool_size=settings.database_pool_size)
    knowledge = knowledge or load_served(settings.knowledge_dir, storage.db)
    # `others`: another language's embedder (Spanish: EMBEDDING_MODEL_ES). Made from the
    # settings when the English one is too; a caller passing only a twin gets it for all.
    if others is None:
        others = {} if embedder is not None else {"es": make_embedder(settings.embedding_model_es)}
    embedder = embedder or SentenceTransformerEmbedder(settings.embedding_model)
    if batch_queries:
        embedder = BatchingEmbedder(embedder, threads=settings.embed_threads or None)
    answerer = build_answerer(settings, knowledge, embedder, progress, others)
    return Assistant(settings, answerer, storage, clock or (lambda: datetime.now(UTC)))


def _question_of(text: str, state: ConversationState, _: Translator) -> str:
    """What the ticket is about: an accepted offer's question, not the "yes" that accepted it
    (`_`: the agents' language)."""
    offer = state.pending_offer
    if offer is None:
        return text
    return _("{question} (accepted: {answer})").format(question=offer.question, answer=text)


def _with_answers_beside(reply: Reply, beside: tuple[Reply, ...]) -> Reply:
    """A ticket's reply followed by the answers to the message's other questions."""
    if not beside:
        return reply
    return replace(
        reply,
        text="\n\n".join([reply.text, *beside_text(beside, keep_table=True)]),
        citations=citations_of(beside),
        table=next((r.table for r in beside if r.table is not None), None),
    )


def _in(language: str, effects: Effects) -> Effects:
    """`effects`, its reply marked as written in `language` (for the adapters' own words)."""
    return lambda turn: replace(effects(turn), language=language)


def _noted(note: TurnNote, effects: Effects) -> Effects:
    """`effects`, the turn noted for the resolution report."""

    def apply(turn: Turn) -> Reply:
        turn.note = note
        return effects(turn)

    return apply


def _just(reply: Reply) -> Effects:
    """A decision that changes nothing but the reply."""
    return lambda _turn: reply
