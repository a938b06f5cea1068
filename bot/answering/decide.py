"""`Answerer.decide`: what the bot would say to one message, with no side effects.

The message is understood first: an intent learned from examples (bot/understanding), the
slots it names, and the conversation so far (what was shown, a pending offer). Then the
product's policy: a request for a person or of an escalation category escalates; an
invoice look-up is computed from the customer's own invoices; a policy question is answered
from the articles when retrieval is confident, else the bot offers a ticket ("yes" later
accepts it); greetings get a greeting; a message with no billing meaning is declined.
Evaluation calls this directly, so measuring the bot never opens a ticket.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cached_property

import numpy as np

from bot.answering import invoice_requests, withheld
from bot.answering.extract import extract
from bot.answering.invoices import InvoiceAsk, collections_outlook, escalation_evidence
from bot.answering.multilingual import in_other_language, unserved_sentence
from bot.answering.scope import HUMAN_REQUEST, CategoryMatch
from bot.conversation.state import ConversationState, Shown
from bot.knowledge.customers import Customer
from bot.knowledge.escalation import Category
from bot.knowledge.folder import Knowledge
from bot.locale import N_, formats, translator
from bot.retrieval.index import Hit, SearchIndex
from bot.types import Citation, Reply, ReplyKind
from bot.understanding import intents as I
from bot.understanding.intents import IntentClassifier, IntentGuess
from bot.understanding.language import SERVED_LANGUAGES
from bot.understanding.slots import Slots, extract_slots, matching_products

# Below this confidence, the best article is unrelated to the message.
UNRELATED = 0.25
# A short message the classifier takes for a policy question is answered from a less sure
# retrieval: the classifier has already ruled out a look-up, a request and small talk, and a
# short question shares few words with any article. Long posts keep the full threshold
# (measured: on the real corpus every unanswerable post over 11 words scored 0.2-0.57).
POLICY_THRESHOLD = 0.3
SHORT_QUESTION = 11  # words
# Below this, a message that names an invoice or "that one" continues the last look-up.
FOLLOW_UP_BELOW = 0.4
# Escalating needs a probable request, not closeness to a topic.
ESCALATE_AT = 0.5
# See `confidence_across`.
CROSS_LANGUAGE_DISCOUNT = 0.8


DEFAULT_LANGUAGE = "en"


def confidence_across(hit: Hit) -> float:
    """`confidence_of` for an article in another language than the question: they share no
    words, so meaning alone decides, discounted (a near miss is likelier across languages)."""
    return hit.similarity * CROSS_LANGUAGE_DISCOUNT


# Words that make a look-up about one account ("when is MY invoice due?").
_ABOUT_AN_ACCOUNT = re.compile(r"\b(my|our|we|us|i|mi|mis|nuestra|nuestras|nuestro)\b", re.I)


def confidence_of(hit: Hit) -> float:
    """How sure the bot is that `hit` answers: meaning (cosine similarity) and words (does the
    article use the question's words?) must agree."""
    return (hit.similarity + hit.coverage) / 2


@dataclass(frozen=True, slots=True)
class Decision:
    reply: Reply
    escalation: CategoryMatch | None = None
    hits: tuple[Hit, ...] = ()
    intent: IntentGuess | None = None
    shown: Shown | None = None  # what this reply shows, for the next turn's follow-ups
    offer: str | None = None  # the category of the ticket this reply offers
    detail: str = ""  # for an escalation: the invoice figures the message is about


class Answerer:
    def __init__(
        self,
        knowledge: Knowledge,
        index: SearchIndex,
        intents: IntentClassifier,
        threshold: float,
        *,
        indexes: Mapping[str, SearchIndex] | None = None,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        """`index` serves English (and intent understanding); `indexes` maps another
        language to the index of the model chosen for it, `thresholds` to its answer
        threshold (that model's similarities have another scale)."""
        self.knowledge = knowledge
        self.index = index
        self.intents = intents
        self.threshold = threshold
        self.indexes = dict(indexes or {})
        self.thresholds = dict(thresholds or {})

    def decide(
        self,
        text: str,
        customer: Customer | None,
        *,
        agent: bool = False,
        today: date,
        state: ConversationState | None = None,
        offer_pending: bool = False,
        language: str = "en",
    ) -> Decision:
        state = state or ConversationState()
        if language not in SERVED_LANGUAGES:
            return self._unserved(language)
        query = self.index.embed_query(text)
        guess = self.intents.classify(text, query)
        slots = extract_slots(text)
        if agent and customer is None:
            customer = self.named_customer(text)
        intent = self._resolve(guess, slots, state, offer_pending)

        if intent in (I.YES, I.NO) and offer_pending:
            return self._offer_answer(intent, guess, state, language)
        if intent == I.YES and state.shown.intent is not None and customer is not None:
            # "yes please set that up" after an answer that says to ask us, or "yes" again
            # about a request already handed over: a person takes it.
            last = I.escalation_category(state.shown.intent) or HUMAN_REQUEST
            if state.shown.intent == I.POLICY or I.escalation_category(state.shown.intent):
                matched = self._category(last)
                reply = Reply("", ReplyKind.ESCALATE, guess.confidence)
                return Decision(reply, CategoryMatch(matched, guess.confidence, "yes"), (), guess)
        if intent == I.YES:
            intent = None  # a "yes" to nothing: retrieval decides
        if intent == I.GREETING:
            return Decision(self._greeting(text, language), None, (), guess, state.shown)
        category = I.escalation_category(intent)
        if category is not None and guess.confidence < ESCALATE_AT:
            category, intent = None, None  # near a topic is not a request: retrieval decides
        if category is not None and not agent:
            return self._escalation(text, customer, category, guess, today, language)
        if I.is_invoice(intent) and customer is None and not agent:
            intent = None  # no account to look up: a question about invoices in general
        if I.is_invoice(intent):
            assert intent is not None
            if customer is None and not _ABOUT_AN_ACCOUNT.search(text):
                # An agent who named no customer and no account ("my", "our"): maybe a
                # policy question that sounds like a look-up ("approval limit for credits").
                policy = self._policy(text, None, guess, agent, query, None, today, language)
                if policy.reply.kind is ReplyKind.ANSWER:
                    return policy
            if customer is None:
                _ = translator(language)
                reply = Reply(
                    _(
                        "Which customer is this about? Name the customer, its id or an invoice "
                        "number, and I'll compute the answer from its invoices."
                    ),
                    ReplyKind.NOT_SURE,
                    0.0,
                )
                return Decision(reply, None, (), guess)
            return self._invoice(intent, text, slots, customer, today, state, guess, language)
        return self._policy(text, intent, guess, agent, query, customer, today, language)

    # -- understanding ---------------------------------------------------------------------
    def _resolve(
        self, guess: IntentGuess, slots: Slots, state: ConversationState, offer_pending: bool
    ) -> str | None:
        """The intent, with the conversation's context: a follow-up that only names an
        invoice ("and the one before?", "what about august") continues the last look-up."""
        intent = guess.intent
        if intent == I.NO and not offer_pending:
            intent = I.GREETING
        last = state.shown.intent
        follows_lookup = I.is_invoice(last) and bool(state.shown.invoices)
        unsure = intent is None or guess.confidence < FOLLOW_UP_BELOW
        names_one = slots.names_invoice or slots.refers
        if follows_lookup and not I.is_invoice(intent) and unsure and names_one:
            return last if last in (I.SHOW, I.STATUS, I.LINE, I.DUE) else I.SHOW
        return intent

    def named_customer(self, text: str) -> Customer | None:
        """For agents: the customer a question names (name, id or one of its invoice numbers)."""
        lowered = text.lower()
        slots = extract_slots(text)
        for number in slots.invoice_numbers:
            owner = self.knowledge.owner_of(number)
            if owner:
                return self.knowledge.customer(owner)
        words = set(re.findall(r"\w+", lowered))
        for customer in self.knowledge.customers:
            if customer.id.lower() in words or customer.name.split()[0].lower() in words:
                return customer
        return None

    # -- replies ---------------------------------------------------------------------------
    def _greeting(self, text: str, language: str = DEFAULT_LANGUAGE) -> Reply:
        _ = translator(language)
        lowered = text.lower()
        if any(w in lowered for w in ("thank", "cheers", "gracias", "bye", "adiós", "adios")):
            return Reply(
                _("You're welcome! Anything else about your billing?"), ReplyKind.GREETING, 1.0
            )
        return Reply(
            _("Hello! I'm the {partner} billing assistant. How can I help?").format(
                partner=self.knowledge.partner.name
            ),
            ReplyKind.GREETING,
            1.0,
        )

    def _unserved(self, language: str) -> Decision:
        """A language the partner does not serve: say so, offering a person ("yes" accepts)."""
        reply = Reply(unserved_sentence(language), ReplyKind.NOT_SURE, 0.0)
        return Decision(reply, None, (), None, offer=HUMAN_REQUEST)

    def _offer_answer(
        self,
        intent: str,
        guess: IntentGuess,
        state: ConversationState,
        language: str = DEFAULT_LANGUAGE,
    ) -> Decision:
        _ = translator(language)
        offer = state.pending_offer
        if intent == I.NO or offer is None:
            reply = Reply(
                _("All right, no ticket. Ask me anything else about your billing."),
                ReplyKind.GREETING,
                1.0,
            )
            return Decision(reply, None, (), guess, state.shown)
        category = self._category(offer.category)
        reply = Reply("", ReplyKind.ESCALATE, 1.0)
        return Decision(reply, CategoryMatch(category, 1.0, "accepted offer"), (), guess)

    def _category(self, category_id: str) -> Category:
        name = N_("Request for a person")
        return (
            self.knowledge.rules.category(category_id)
            or self.knowledge.rules.category(HUMAN_REQUEST)
            or Category(
                HUMAN_REQUEST,
                name,
                next(iter(self.knowledge.rules.routes), ""),
                "",
                (),
                names=tuple((code, translator(code)(name)) for code in sorted(SERVED_LANGUAGES)),
            )
        )

    def _lines_in_question(
        self, text: str, customer: Customer | None, today: date, language: str = DEFAULT_LANGUAGE
    ) -> str:
        """The invoice line a complaint names ("too many Teams Phone licences"), so the
        customer and the agents see the same figures."""
        if customer is None:
            return ""
        invoices = self.knowledge.invoices_of(customer.id)
        names = {line.product for inv in invoices for line in inv.lines}
        if not matching_products(text, names):
            return ""
        collections = self.knowledge.partner.collections
        ask = InvoiceAsk(text, customer, invoices, collections, today, language)
        found = invoice_requests.answer(I.LINE, text, extract_slots(text), ask, Shown())
        not_found = translator(language)(invoice_requests.LINE_NOT_FOUND).partition("{")[0]
        if found.answer.text.startswith(not_found):
            return ""
        return found.answer.text

    def _escalation(
        self,
        text: str,
        customer: Customer | None,
        category_id: str,
        guess: IntentGuess,
        today: date,
        language: str = DEFAULT_LANGUAGE,
    ) -> Decision:
        _ = translator(language)
        category = self._category(category_id)
        invoice_evidence = (
            escalation_evidence(text, self.knowledge.invoices_of(customer.id))
            + withheld.agent_evidence(self.knowledge.withheld_of(customer.id))
            if customer
            else ()
        )
        route = self.knowledge.rules.routes.get(category.route)
        reply = Reply(
            _("This needs a person: {category}, handled by {route}.").format(
                category=category.name_in(language).lower(),
                route=route.name_in(language) if route else category.route,
            ),
            ReplyKind.ESCALATE,
            guess.confidence,
            evidence=invoice_evidence,
        )
        match = CategoryMatch(category, guess.confidence, "intent")
        detail = self._lines_in_question(text, customer, today, language)
        return Decision(reply, match, (), guess, Shown(I.ESCALATE + category.id), detail=detail)

    def _invoice(
        self,
        intent: str,
        text: str,
        slots: Slots,
        customer: Customer,
        today: date,
        state: ConversationState,
        guess: IntentGuess,
        language: str = DEFAULT_LANGUAGE,
    ) -> Decision:
        ask = InvoiceAsk(
            text,
            customer,
            self.knowledge.invoices_of(customer.id),
            self.knowledge.partner.collections,
            today,
            language,
        )
        found = invoice_requests.answer(
            intent, text, slots, ask, state.shown, product_hint=state.shown.product
        )
        # Never an incomplete invoice told as fact: a withheld one is named, not counted.
        answer = withheld.qualify(
            text, self.knowledge.withheld_of(customer.id), lambda: found.answer, language
        )
        citations = self._collections_citation_in(language) if intent in (I.STATUS, I.DUE) else ()
        reply = Reply(
            answer.text,
            ReplyKind.INVOICE,
            1.0,
            citations,
            answer.table,
            evidence=answer.evidence,
        )
        return Decision(reply, None, (), guess, state.shown.then(found.shown))

    def _policy(
        self,
        text: str,
        intent: str | None,
        guess: IntentGuess,
        agent: bool,
        query: np.ndarray,
        customer: Customer | None,
        today: date,
        language: str = "en",
    ) -> Decision:
        index = self.indexes.get(language, self.index)
        vector = query if index is self.index else None  # another model embeds the question
        hits = tuple(
            index.search(text, k=5, include_agent=agent, query_vector=vector, language=language)
        )
        full = self.thresholds.get(language, self.threshold)
        short = len(text.split()) <= SHORT_QUESTION
        relief = intent == I.POLICY and short
        threshold = min(full, POLICY_THRESHOLD) if relief else full
        top = hits[0] if hits else None
        confidence = confidence_of(top) if top else 0.0
        if language != DEFAULT_LANGUAGE and (top is None or confidence < threshold):
            # No article in the customer's language answers: one in English may.
            vector = vector if vector is not None else index.embed_query(text)
            other = tuple(
                index.search(
                    text, k=5, include_agent=agent, query_vector=vector, language=DEFAULT_LANGUAGE
                )
            )
            if other and confidence_across(other[0]) > confidence:
                hits, top, confidence = other, other[0], confidence_across(other[0])
        evidence = tuple(
            f"{h.passage.path} › {h.passage.section} ({h.similarity:.2f})" for h in hits[:3]
        )
        if top is not None and confidence >= threshold and intent != I.NOT_BILLING:
            passage = top.passage
            prefer = (customer.currency, customer.support_plan) if customer else ()
            tokenize = self.index.lexical.tokenizer(passage.language)
            body = extract(passage.text, text, tokenize, prefer)
            body += self._for_this_customer(passage.path, customer, today, language)
            if passage.language != language:
                body = in_other_language(language, passage.language) + body
            reply = Reply(
                body, ReplyKind.ANSWER, confidence, (passage.citation,), evidence=evidence
            )
            return Decision(reply, None, hits, guess, Shown(I.POLICY, article=passage.path))
        _ = translator(language)
        if intent == I.NOT_BILLING or (intent is None and confidence < UNRELATED):
            reply = Reply(
                _(
                    "I handle billing questions for {partner}: invoices, payments, licences and "
                    "our support policies. Would you like to talk to a person instead?"
                ).format(partner=self.knowledge.partner.name),
                ReplyKind.OUT_OF_SCOPE,
                confidence,
            )
            return Decision(reply, None, hits, guess, offer=HUMAN_REQUEST)
        if agent:  # agents are never offered a ticket
            reply = Reply(
                _("I found no sure answer to that in the knowledge folder."),
                ReplyKind.NOT_SURE,
                confidence,
                evidence=evidence,
            )
            return Decision(reply, None, hits, guess)
        reply = Reply(
            _(
                "I'm not sure I can answer that correctly from our documentation. Shall I open "
                "a ticket so a person from our billing team can help?"
            ),
            ReplyKind.NOT_SURE,
            confidence,
            evidence=evidence,
        )
        return Decision(reply, None, hits, guess, offer=self._likely_category(guess))

    def _for_this_customer(
        self, path: str, customer: Customer | None, today: date, language: str = DEFAULT_LANGUAGE
    ) -> str:
        """A policy answer from the collections article adds what it means for this
        customer's own overdue invoice (a disputed invoice is never overdue)."""
        if customer is None or not self._collections_citation:
            return ""
        if path.replace(".es.md", ".md") != self._collections_citation[0].path:
            return ""
        _ = translator(language)
        invoices = self.knowledge.invoices_of(customer.id)
        late = [inv for inv in invoices if inv.days_overdue(today) > 0]
        disputed = [inv for inv in invoices if inv.status == "disputed"]
        notes = []
        if late:
            worst = max(late, key=lambda inv: inv.days_overdue(today))
            notes.append(
                _(
                    "For your account: invoice {number} was due {date} and is {days} days overdue."
                ).format(
                    number=worst.number,
                    date=formats.day(worst.due_date, language),
                    days=worst.days_overdue(today),
                )
                + " "
                + collections_outlook(worst, self.knowledge.partner.collections, today, language)
            )
        for inv in disputed:
            notes.append(
                _(
                    "Invoice {number} is disputed: collections are paused on the disputed amount "
                    "while our billing team investigates, so it does not count as overdue."
                ).format(number=inv.number)
            )
        return ("\n\n" + " ".join(notes)) if notes else ""

    def _likely_category(self, guess: IntentGuess) -> str:
        """The category a ticket offered now would get: the most probable escalation."""
        for intent, _p in guess.ranked:
            category = I.escalation_category(intent)
            if category and self.knowledge.rules.category(category):
                return category
        return HUMAN_REQUEST

    @cached_property
    def _collections_citation(self) -> tuple[Citation, ...]:
        hits = self.index.search(
            "collections policy: suspension for non-payment", k=1, language="en"
        )
        return (hits[0].passage.citation,) if hits else ()

    def _collections_citation_in(self, language: str) -> tuple[Citation, ...]:
        """The collections article in `language` when the folder has it (`<stem>.es.md`)."""
        english = self._collections_citation
        if language == DEFAULT_LANGUAGE or not english:
            return english
        translated = english[0].path.removesuffix(".md") + f".{language}.md"
        twin = next((p for p in self.index.passages if p.path == translated), None)
        return (twin.citation,) if twin else english
