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

import dataclasses
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property

import numpy as np

from bot.answering import withheld
from bot.answering.extract import extract
from bot.answering.facts_check import FactsCheck, Folder, own_facts
from bot.answering.gate import AnswerGate, Signals, ThresholdRule
from bot.answering.invoices import requests as invoice_requests
from bot.answering.invoices.evidence import escalation_evidence
from bot.answering.invoices.lines import LINE_NOT_FOUND, lines_in_question
from bot.answering.invoices.outlook import collections_outlook
from bot.answering.invoices.term import term
from bot.answering.invoices.values import InvoiceAsk
from bot.answering.multilingual import (
    Reader,
    in_other_language,
    languages_sentence,
    writing_language,
)
from bot.answering.scope import HUMAN_REQUEST, CategoryMatch
from bot.collections import desk
from bot.collections.disputes import DISPUTE_CATEGORY
from bot.collections.plan import Facts
from bot.collections.plan import plan as collections_plan
from bot.collections.store import Happened
from bot.conversation.state import ConversationState, Shown
from bot.knowledge.customers import Customer
from bot.knowledge.escalation import Category
from bot.knowledge.folder import Knowledge
from bot.knowledge.invoices import Invoice, InvoiceStatus
from bot.locale import N_, formats, plural_translator, translator
from bot.retrieval.index import Hit, SearchIndex
from bot.types import Citation, Passage, Reply, ReplyKind
from bot.understanding import intents as I
from bot.understanding.explanations import asks_why_a_tax_applies
from bot.understanding.intents import Intent, IntentClassifier, IntentGuess
from bot.understanding.language import SERVED_LANGUAGES
from bot.understanding.slots import Slots, extract_slots, matching_products
from bot.understanding.spelling import Speller
from bot.understanding.vocabulary import Vocabulary

# The thresholds below say how sure retrieval must be; the answer gate (bot/answering/gate.py),
# learned from labelled turns, weighs a passage's margin to them with what else it measured.
# Below this confidence, the best article is unrelated to the message.
UNRELATED = 0.25
# A short message the classifier takes for a policy question is answered from a less sure
# retrieval: the classifier has already ruled out a look-up, a request and small talk, and a
# short question shares few words with any article. Long posts keep the full threshold
# (measured: on the real corpus every unanswerable post over 11 words scored 0.2-0.57).
POLICY_THRESHOLD = 0.3
SHORT_QUESTION = 11  # words
# A customer's question that names its own invoice or product is a chat message about its
# account, not a forum post: the relief reaches a little further.
OWN_QUESTION = 16  # words
# A message with this share of words the bot has never seen (not in its articles, examples,
# products or customers) is about something the folder does not cover: no relief, and a
# look-up or an unsure policy question becomes "not billing".
NOVEL_AT = 0.25
# A look-up this probable stands however many words are new (typos: "wen is teh bil due").
SURE_LOOKUP = 0.7
# Below this, a message that names an invoice or "that one" continues the last look-up.
FOLLOW_UP_BELOW = 0.4
# After a policy answer, an invoice look-up less probable than this that names no invoice
# ("and how is that billed", "by when must we let you know") is a follow-up question;
# so is one right after a request was handed over, even when it names the invoice.
LOOKUP_AFTER_POLICY = 0.6
# A policy question naming the customer's product, which the classifier also reads as a
# term look-up this probably ("our visio renewal date?"), gets the term from the invoices;
# one naming an invoice of the customer's (or of the one an agent asks about) and read this
# probably as a comparison gets the two compared.
LOOKUP_EVIDENCE = 0.3
# Escalating needs a probable request, not closeness to a topic (ESCALATION_THRESHOLD).
ESCALATE_AT = 0.5
# Among the best few passages about as close in meaning as the first (SIMILAR), the one
# whose meaning and words agree most answers; a follow-up leans to the article the
# conversation is about (SAME_ARTICLE), found even outside the best few.
RERANK = 3
SIMILAR = 0.03
SAME_ARTICLE = 0.05
# A product is named when the message names this share of its own words.
NAMED = 2 / 3
# See `confidence_across`.
CROSS_LANGUAGE_DISCOUNT = 0.8
ACROSS_THRESHOLD = 0.52  # ANSWER_THRESHOLD_ACROSS


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


def _best(
    hits: Sequence[Hit], confidence: Callable[[Hit], float], about: str | None
) -> tuple[Hit | None, float]:
    """The passage that answers among the first `RERANK` hits, and the bot's confidence in it:
    fusion ranks by rank, not by how well; a passage of the article the conversation is
    about (`about`, its path) is preferred by a little."""
    if not hits:
        return None, 0.0

    def score(hit: Hit) -> float:
        same = about is not None and _article(hit.passage.path) == _article(about)
        return confidence(hit) + (SAME_ARTICLE if same else 0.0)

    near = [h for h in hits[:RERANK] if h.similarity >= hits[0].similarity - SIMILAR]
    best = max(near, key=score)
    return best, confidence(best)


def _opening_for_subject(
    index: SearchIndex, text: str, top: Hit, hits: Sequence[Hit]
) -> Hit | None:
    """The opening of `top`'s article when the question names nothing but the article's
    subject ("What is your cancellation policy?": every word in its title) and retrieval found
    that opening. Every section of the article repeats the title, so words cannot choose
    among them, and meaning alone picks a section as near-randomly as the question is
    general; the opening answers the subject as a whole."""
    if top.passage.opening:
        return None
    opening = next(
        (h for h in hits if h.passage.opening and h.passage.path == top.passage.path), None
    )
    if opening is None:
        return None
    tokenize = index.lexical.tokenizer(top.passage.language)
    asked = set(tokenize(text))
    return opening if asked and asked <= set(tokenize(top.passage.title)) else None


def _paths_of(index: SearchIndex, article: str) -> frozenset[str]:
    """The paths of `article` in every language the index holds."""
    return frozenset(p.path for p in index.passages if _article(p.path) == _article(article))


def _article(path: str) -> str:
    """An article whatever its language: "a.es.md" and "a.md" are one article."""
    stem = path.removesuffix(".md")
    head, dot, tail = stem.rpartition(".")
    return head if dot and len(tail) == 2 else stem


def _names_own(text: str, slots: Slots, invoices: Sequence[Invoice]) -> bool:
    """Whether the message names one of the customer's invoices or products."""
    if slots.invoice_numbers or slots.months or slots.last_month or slots.this_month:
        return True
    return bool(matching_products(text, {line.product for i in invoices for line in i.lines}))


def _names_a_line_amount(slots: Slots, invoices: Sequence[Invoice]) -> bool:
    """Whether an amount in the message is one of the customer's line amounts or unit
    prices ("what is this 178,80 charge"): then it is about that line."""
    if not slots.amounts:
        return False
    figures = {
        abs(value)
        for inv in invoices
        for line in inv.lines
        for value in (line.amount, line.unit_price)
    }
    return any(abs(amount) in figures for amount in slots.amounts)


def resolved_intent(
    guess: IntentGuess, slots: Slots, state: ConversationState, offer_pending: bool
) -> Intent | None:
    """The intent, with the conversation's context: a follow-up that only names an
    invoice ("and the previous one?", "how about march") continues the last look-up."""
    intent = guess.intent
    top = guess.ranked[0][0] if guess.ranked else None
    if offer_pending and top in (I.YES, I.NO):
        return top  # an offer awaits an answer: its likeliest reading is enough
    asked_for = I.escalation_category(top)
    offered = state.pending_offer.category if state.pending_offer else None
    if offer_pending and asked_for is not None and asked_for in (HUMAN_REQUEST, offered):
        return I.YES  # asking for a person, or for the ticket offered, accepts the offer
    if intent == I.NO and not offer_pending:
        intent = I.GREETING
    last = state.shown.intent
    follows_lookup = I.is_invoice(last) and bool(state.shown.invoices)
    unsure = intent in (None, I.NOT_BILLING) or guess.confidence < FOLLOW_UP_BELOW
    names_one = slots.names_invoice or slots.refers
    if follows_lookup and not I.is_invoice(intent) and unsure and names_one:
        return last if last in (I.SHOW, I.STATUS, I.LINE, I.DUE) else I.SHOW
    after_policy = last == I.POLICY and state.shown.article is not None
    # Right after a request was handed over ("we contest the march bill"), a vague
    # question naming that invoice asks how the request goes on ("is the remainder of
    # march still payable meanwhile?"), not for the invoice's figures again.
    after_request = I.escalation_category(last) is not None
    if (
        ((after_policy and not slots.names_invoice) or after_request)
        and I.is_invoice(intent)
        and intent != I.TERM  # "when could we leave that plan": the product's term
        and guess.confidence < LOOKUP_AFTER_POLICY
    ):
        return I.POLICY  # "and how is that billed" after the article on adding licences
    return intent


@dataclass(frozen=True, slots=True)
class Decision:
    reply: Reply
    escalation: CategoryMatch | None = None
    hits: tuple[Hit, ...] = ()
    intent: IntentGuess | None = None
    shown: Shown | None = None  # what this reply shows, for the next turn's follow-ups
    offer: str | None = None  # the category of the ticket this reply offers
    detail: str = ""  # for an escalation: the invoice figures the message is about
    # For an escalation: the answers to the message's other questions (bot/answering/compose).
    beside: tuple[Reply, ...] = ()


@dataclass(frozen=True, slots=True)
class _Turn:
    """One message as read, which every dialogue rule of `Answerer.decide` looks at."""

    text: str  # spelling corrected
    customer: Customer | None  # the signed-in one, or the one an agent's message names
    agent: bool
    today: date
    state: ConversationState
    offer_pending: bool
    language: str  # the one to answer in
    reading: str | None  # the message's, when the bot does not write it
    query: np.ndarray
    guess: IntentGuess
    slots: Slots
    named: bool  # an agent's message: its customer is the one it names
    mine: Callable[[], list[Invoice]]  # the customer's invoices, read once
    unknown: float  # the share of its words the folder never uses (0 in another language)

    @property
    def novel(self) -> bool:
        """Its words are unknown to the folder."""
        return self.unknown >= NOVEL_AT


def _reread(turn: _Turn, intent: Intent | None, *, across: bool, own: bool) -> Intent | None:
    """The intent once the turn's context is weighed: not ours, a policy question, a term or
    a line of an invoice."""
    slots = turn.slots
    if across and not turn.agent and not (own or slots.names_invoice):
        # A customer never asks about other customers: it is their own look-up only
        # when the message is about their invoices ("are any of our bills overdue?").
        intent = None
    if _unsure_and_not_ours(turn, intent, own):
        intent = None
    if turn.agent and I.escalation_category(intent):
        intent = I.POLICY  # an agent asking about a kind of request asks how to handle it
    disputes = I.escalation_category(intent) == DISPUTE_CATEGORY
    if disputes and asks_why_a_tax_applies(turn.text, turn.language):
        intent = I.POLICY  # why a tax applies: the tax article explains, nothing is wrong
    if intent == I.POLICY and own and turn.guess.probability(I.TERM) >= LOOKUP_EVIDENCE:
        intent = I.TERM  # "our visio renewal date?": its term, when the invoices show it
    compares = turn.guess.probability(I.COMPARE) >= LOOKUP_EVIDENCE
    if intent == I.POLICY and turn.customer and slots.names_invoice and compares:
        intent = I.COMPARE  # "why is our latest bill up on the one before?": the two compared
    about_a_line = intent is None or intent == I.POLICY or I.is_invoice(intent)
    if about_a_line and turn.customer and _names_a_line_amount(slots, turn.mine()):
        intent = I.LINE  # "where does 8.40 a user come from?"
    return intent


def _unsure_and_not_ours(turn: _Turn, intent: Intent | None, own: bool) -> bool:
    """An unsure look-up that names nothing of the customer's is not ours when its words
    are unknown to the folder ("how many onions do i have on hand") or when its single
    likeliest reading is "not billing", the look-ups winning only together ("any new
    firms worth watching?")."""
    guess = turn.guess
    unsure_lookup = I.is_invoice(intent) and guess.confidence < SURE_LOOKUP
    not_ours = guess.probability(I.NOT_BILLING)
    readings = [(i, p) for i, p in guess.ranked if i != I.NOT_BILLING]
    if not turn.agent:
        # A customer never asks about other customers: what only an agent could mean
        # ("which customers are overdue", "when was X last reminded") speaks against a
        # reading of the customer's own invoices, not for it.
        agents_only = {i for i, _p in readings if i in I.ACROSS_CUSTOMERS or i == I.REMINDED}
        not_ours += sum(p for i, p in readings if i in agents_only)
        readings = [(i, p) for i, p in readings if i not in agents_only]
    not_billing_first = not_ours > max((p for _i, p in readings), default=0.0)
    return (
        unsure_lookup
        and (turn.novel or not_billing_first)
        and not (own or turn.slots.names_invoice)
    )


class Answerer:
    def __init__(  # noqa: PLR0913 (its parts, wired once by bot/reload.py)
        self,
        knowledge: Knowledge,
        index: SearchIndex,
        intents: IntentClassifier,
        threshold: float,
        known: Vocabulary,
        *,
        escalate_at: float = ESCALATE_AT,
        indexes: Mapping[str, SearchIndex] | None = None,
        thresholds: Mapping[str, float] | None = None,
        across_threshold: float = ACROSS_THRESHOLD,
        speller: Speller | None = None,
        reader: Reader | None = None,
        gate: AnswerGate | None = None,
    ) -> None:
        """`index` serves English (and intent understanding); `indexes` maps another
        language to the index of the model chosen for it, `thresholds` to its answer
        threshold (that model's similarities have another scale); `across_threshold` is the
        confidence an article in another language than the question needs. `known`: the
        words the bot knows; `escalate_at`: the probability of an escalation category that
        opens a ticket; `speller`: reads misspelt words as the known words they stand for;
        `reader`: reads the languages the bot does not write (else the English model does);
        `gate`: decides whether the best passage answers (bot/answering/gate.py; without one,
        the thresholds above do)."""
        self.knowledge = knowledge
        self.speller = speller
        self.reader = reader or Reader(index, intents)
        self.index = index
        self.intents = intents
        self.threshold = threshold
        self.known = known
        self.escalate_at = escalate_at
        self.indexes = dict(indexes or {})
        self.thresholds = dict(thresholds or {})
        self.across_threshold = across_threshold
        self.gate: AnswerGate = gate or ThresholdRule()

    def decide(  # noqa: PLR0913 (keyword-only: what the turn knows, each optional)
        self,
        text: str,
        customer: Customer | None,
        *,
        agent: bool = False,
        today: date,
        state: ConversationState | None = None,
        offer_pending: bool = False,
        language: str = "en",
        facts: Callable[[], Facts] | None = None,
        reading: str | None = None,
        reminded: Callable[[str], Sequence[Happened]] | None = None,
    ) -> Decision:
        """`facts`: what collections knows beyond the invoices (open dispute tickets), read
        only when an agent asks across customers; `reminded`: the reminders sent to a
        customer (oldest first), read only when an agent asks when one was last reminded.
        A message in a language the bot does not write is read in it (`reading`) and
        answered in `writing_language`, led by a sentence in its own language saying which
        languages the bot writes; never declined for it."""
        state = state or ConversationState()
        if language not in SERVED_LANGUAGES:
            decision = self.decide(
                text,
                customer,
                agent=agent,
                today=today,
                state=state,
                offer_pending=offer_pending,
                language=writing_language(customer),
                facts=facts,
                reading=language,
                reminded=reminded,
            )
            return _led_by(languages_sentence(language), decision)
        turn = self._read(text, customer, agent, today, state, offer_pending, language, reading)
        intent = resolved_intent(turn.guess, turn.slots, state, offer_pending)
        across = intent is not None and intent in I.ACROSS_CUSTOMERS
        if intent is not None and intent in I.ACROSS_CUSTOMERS:
            if agent and self.named_customer(turn.text) is None:
                return self._across(intent, turn.text, today, language, facts, turn.guess)
            intent = I.ACROSS_CUSTOMERS[intent]  # one customer's look-up
        if intent == I.REMINDED and agent:
            return self._last_reminded(turn, reminded)
        if intent == I.REMINDED:
            intent = I.STATUS  # a customer asking when we last reminded them: their status
        own = turn.customer is not None and (
            turn.named or _names_own(turn.text, turn.slots, turn.mine())
        )
        intent = _reread(turn, intent, across=across, own=own)
        replied = self._dialogue_reply(turn, intent)
        if replied is not None:
            return replied
        return self._answer(turn, None if intent == I.YES else intent, own)

    def asks_ticket_status(self, text: str, language: str) -> bool:
        """Whether the message asks how the customer's ticket goes, read as `decide` reads
        it: for the turns a person owns, which the bot does not otherwise decide."""
        reading = None if language in SERVED_LANGUAGES else language
        _text, _query, guess = self._understood(text, language, reading)
        return guess.intent == I.TICKET_STATUS

    def _understood(
        self, text: str, language: str, reading: str | None
    ) -> tuple[str, np.ndarray, IntentGuess]:
        """The message corrected (in the language it is read in, written or not), its
        embedding and what the classifier makes of it."""
        if self.speller is not None:
            text = self.speller.correct(text, reading or language)
        reader = self._reader(reading)
        query = reader.index.embed_query(text)
        return text, query, reader.intents.classify(text, query)

    def _read(
        self,
        text: str,
        customer: Customer | None,
        agent: bool,
        today: date,
        state: ConversationState,
        offer_pending: bool,
        language: str,
        reading: str | None,
    ) -> _Turn:
        """The message as read: corrected, embedded, classified (`_understood`), its slots
        and its customer (an agent who names none may name one in the message)."""
        text, query, guess = self._understood(text, language, reading)
        slots = extract_slots(text)
        named = agent and customer is None
        if named:
            customer = self.named_customer(text)
        mine = self._invoices_once(customer)
        # The folder's words are in the languages the bot writes: another language's are not
        # counted (every one would be new).
        unknown = 0.0 if reading is not None else self.known.unknown_share(text, language)
        return _Turn(
            text,
            customer,
            agent,
            today,
            state,
            offer_pending,
            language,
            reading,
            query,
            guess,
            slots,
            named,
            mine,
            unknown,
        )

    def _last_reminded(
        self, turn: _Turn, reminded: Callable[[str], Sequence[Happened]] | None
    ) -> Decision:
        """An agent asking when a customer was last reminded: the reminders sent to it."""
        customer, language = turn.customer, turn.language
        if customer is None:
            return Decision(self._which_customer(language), None, (), turn.guess)
        sent = reminded(customer.id) if reminded else ()
        zone = self.knowledge.partner.support.timezone
        found = desk.last_reminded(customer, sent, zone, language)
        reply = Reply(found.text, ReplyKind.INVOICE, 1.0, table=found.table)
        return Decision(reply, None, (), turn.guess, Shown(I.REMINDED))

    def _dialogue_reply(self, turn: _Turn, intent: Intent | None) -> Decision | None:
        """The replies to the dialogue itself: a yes or no to a pending offer, a yes to a
        request already handed over, a greeting or thanks; None for a question."""
        state, guess = turn.state, turn.guess
        if intent in (I.YES, I.NO) and turn.offer_pending:
            assert intent is not None
            return self._offer_reply(turn, intent)
        if intent == I.YES and state.shown.intent is not None and turn.customer is not None:
            # "yes, go ahead and arrange it" after an answer that says to ask us, or "yes" again
            # about a request already handed over: a person takes it.
            last = I.escalation_category(state.shown.intent) or HUMAN_REQUEST
            if state.shown.intent == I.POLICY or I.escalation_category(state.shown.intent):
                matched = self._category(last)
                reply = Reply("", ReplyKind.ESCALATE, guess.confidence)
                return Decision(reply, CategoryMatch(matched, guess.confidence, "yes"), (), guess)
        if intent == I.TICKET_STATUS and not turn.agent:
            # The tickets are the app's to read: it writes the status (`Assistant`).
            reply = Reply("", ReplyKind.TICKET_STATUS, guess.confidence)
            return Decision(reply, None, (), guess, state.shown)
        if intent in (I.GREETING, I.SOLVED):
            reply = self._greeting(turn.text, turn.language, thanked=intent == I.SOLVED)
            return Decision(reply, None, (), guess, state.shown)
        return None

    def _offer_reply(self, turn: _Turn, intent: Intent) -> Decision:
        """A yes or no to a ticket offer; the ticket carries the invoice lines of the
        question the offer answered."""
        state = turn.state
        accepted = self._offer_answer(intent, turn.guess, state, turn.language)
        if accepted.escalation is None or state.pending_offer is None:
            return accepted
        asked = state.pending_offer.question
        evidence = self._invoice_evidence(asked, turn.customer, turn.mine, turn.today)
        return replace(accepted, reply=replace(accepted.reply, evidence=evidence))

    def _answer(self, turn: _Turn, intent: Intent | None, own: bool) -> Decision:
        """A question: a request a person takes, a look-up of the account, or the articles.
        `intent` None: retrieval decides (a "yes" to nothing is None here)."""
        category = I.escalation_category(intent)
        if category is not None and turn.guess.confidence < self.escalate_at:
            category, intent = None, None  # near a topic is not a request: retrieval decides
        if category is not None and not turn.agent:
            return self._escalation(
                turn.text,
                turn.customer,
                turn.mine,
                category,
                turn.guess,
                turn.today,
                turn.language,
            )
        if I.is_invoice(intent) and turn.customer is None and not turn.agent:
            intent = None  # no account to look up: a question about invoices in general
        if I.is_invoice(intent):
            assert intent is not None
            looked_up = self._lookup(turn, intent)
            if looked_up is not None:
                return looked_up
            intent = I.POLICY  # no term on the invoices: what the articles say about terms
        return self._policy(
            turn.text,
            intent,
            turn.guess,
            turn.agent,
            turn.query,
            turn.customer,
            turn.today,
            turn.language,
            unknown=turn.unknown,
            own=own,
            state=turn.state,
            mine=turn.mine,
            reading=turn.reading,
        )

    def _lookup(self, turn: _Turn, intent: Intent) -> Decision | None:
        """A look-up of the customer's invoices; None for a term the invoices do not show."""
        text, customer, language = turn.text, turn.customer, turn.language
        if customer is None and not _ABOUT_AN_ACCOUNT.search(text):
            # An agent who named no customer and no account ("my", "our"): maybe a
            # policy question that sounds like a look-up ("approval limit for credits").
            policy = self._policy(
                text,
                None,
                turn.guess,
                turn.agent,
                turn.query,
                None,
                turn.today,
                language,
                unknown=turn.unknown,
                reading=turn.reading,
            )
            if policy.reply.kind is ReplyKind.ANSWER:
                return policy
        if customer is None:
            return Decision(self._which_customer(language), None, (), turn.guess)
        if intent != I.TERM or self._term_known(text, customer, turn.mine(), turn.state, language):
            ask = self._ask(text, customer, turn.mine(), turn.today, language, agent=turn.agent)
            return self._invoice(intent, text, turn.slots, ask, turn.state, turn.guess)
        return None

    def _reader(self, reading: str | None) -> Reader:
        """The model and classifier that read a message: the bot's own for the languages it
        writes, the multilingual reader's for the others."""
        return self.reader if reading is not None else Reader(self.index, self.intents)

    @staticmethod
    def _which_customer(language: str) -> Reply:
        _ = translator(language)
        return Reply(
            _(
                "Which customer is this about? Name the customer, its id or an invoice "
                "number, and I'll compute the answer from its invoices."
            ),
            ReplyKind.NOT_SURE,
            0.0,
        )

    def _across(
        self,
        intent: Intent,
        text: str,
        today: date,
        language: str,
        facts: Callable[[], Facts] | None,
        guess: IntentGuess,
    ) -> Decision:
        """An agent's question across customers, from the collections plan of `today`."""
        knowledge = self.knowledge
        day_plan = collections_plan(
            knowledge.invoices,
            knowledge.customers,
            knowledge.partner.collections,
            knowledge.partner.support,
            today,
            facts() if facts else Facts(),
        )
        if intent == I.OVERDUE_CUSTOMERS:
            found = desk.overdue(day_plan, knowledge.customers, language)
        else:
            start, end = desk.period_of(text, today)
            found = desk.due_between(day_plan, knowledge.customers, start, end, language)
        reply = Reply(found.text, ReplyKind.INVOICE, 1.0, table=found.table)
        return Decision(reply, None, (), guess, Shown(intent))

    def _invoices_once(self, customer: Customer | None) -> Callable[[], list[Invoice]]:
        """The customer's invoices, read from the database the first time a turn needs them
        and then kept for the rest of the turn (several checks look at them)."""

        @functools.cache
        def invoices() -> list[Invoice]:
            return [] if customer is None else self.knowledge.invoices_of(customer.id)

        return invoices

    def _ask(
        self,
        text: str,
        customer: Customer,
        invoices: list[Invoice],
        today: date,
        language: str,
        *,
        agent: bool = False,
    ) -> InvoiceAsk:
        collections = self.knowledge.partner.collections
        return InvoiceAsk(text, customer, invoices, collections, today, language, agent)

    # -- understanding ---------------------------------------------------------------------
    def _term_known(
        self,
        text: str,
        customer: Customer,
        invoices: list[Invoice],
        state: ConversationState,
        language: str,
    ) -> bool:
        ask = self._ask(text, customer, invoices, date.min, language)
        return term(text, ask, state.shown.product) is not None

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
    def _greeting(
        self, text: str, language: str = DEFAULT_LANGUAGE, *, thanked: bool = False
    ) -> Reply:
        _ = translator(language)
        lowered = text.lower()
        if thanked or any(
            w in lowered for w in ("thank", "cheers", "gracias", "bye", "adiós", "adios")
        ):
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

    def _offer_answer(
        self,
        intent: Intent,
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
        self,
        text: str,
        customer: Customer | None,
        invoices: list[Invoice],
        today: date,
        language: str = DEFAULT_LANGUAGE,
    ) -> str:
        """The invoice line a complaint names ("too many Teams Phone licences"), so the
        customer and the agents see the same figures."""
        if customer is None or self.knowledge.invoices_refused:
            return ""  # with an invoice file refused, no figure is told as fact
        names = {line.product for inv in invoices for line in inv.lines}
        if not matching_products(text, names):
            return ""
        collections = self.knowledge.partner.collections
        ask = InvoiceAsk(text, customer, invoices, collections, today, language)
        found = invoice_requests.answer(I.LINE, text, extract_slots(text), ask, Shown())
        not_found = translator(language)(LINE_NOT_FOUND).partition("{")[0]
        if found.answer.text.startswith(not_found):
            return ""
        return found.answer.text

    def _invoice_evidence(
        self,
        text: str,
        customer: Customer | None,
        mine: Callable[[], list[Invoice]],
        today: date,
    ) -> tuple[str, ...]:
        """What the agents need beside a request: the invoice lines it is about, the line it
        names first ("that SQL charge"), and what is withheld or refused."""
        if customer is None:
            return ()
        lines = lines_in_question(text, extract_slots(text), mine(), Shown(), today)
        return (
            escalation_evidence(text, mine(), lines)
            + withheld.agent_evidence(self.knowledge.withheld_of(customer.id))
            + tuple(str(problem) for problem in self.knowledge.refused_invoices)
        )

    def _escalation(
        self,
        text: str,
        customer: Customer | None,
        mine: Callable[[], list[Invoice]],
        category_id: str,
        guess: IntentGuess,
        today: date,
        language: str = DEFAULT_LANGUAGE,
    ) -> Decision:
        _ = translator(language)
        category = self._category(category_id)
        invoice_evidence = self._invoice_evidence(text, customer, mine, today)
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
        detail = self._lines_in_question(text, customer, mine(), today, language)
        return Decision(
            reply, match, (), guess, Shown(I.escalate_intent(category.id)), detail=detail
        )

    def _invoice(
        self,
        intent: Intent,
        text: str,
        slots: Slots,
        ask: InvoiceAsk,
        state: ConversationState,
        guess: IntentGuess,
    ) -> Decision:
        customer, language = ask.customer, ask.language
        if self.knowledge.invoices_refused:  # `ask`, `chat`: a folder `serve` would refuse
            answer = withheld.refused(self.knowledge.refused_invoices, language)
            reply = Reply(answer.text, ReplyKind.INVOICE, 1.0, evidence=answer.evidence)
            return Decision(reply, None, (), guess, state.shown.then(Shown(intent)))
        found = invoice_requests.answer(
            intent, text, slots, ask, state.shown, product_hint=state.shown.product
        )
        # Never an incomplete invoice told as fact: a withheld one is named, not counted.
        answer = withheld.qualify(
            text,
            self.knowledge.withheld_of(customer.id),
            lambda: found.answer,
            language,
            complete=bool(ask.invoices),
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

    def _policy(  # noqa: PLR0913 (what `_read` found; next: take the `_Turn` record whole)
        self,
        text: str,
        intent: Intent | None,
        guess: IntentGuess,
        agent: bool,
        query: np.ndarray,
        customer: Customer | None,
        today: date,
        language: str = "en",
        *,
        unknown: float = 0.0,
        own: bool = False,
        state: ConversationState | None = None,
        mine: Callable[[], list[Invoice]] | None = None,
        reading: str | None = None,
    ) -> Decision:
        """`language`: the one to answer in; `reading`: the message's, when the bot does not
        write it (its question is then read by the multilingual reader)."""
        state = state or ConversationState()
        mine = mine or self._invoices_once(customer)
        reads = reading or language
        read_by = self._reader(reading).index
        index = read_by if reading is not None else self.indexes.get(language, self.index)
        # another language's model embeds the question once more
        vector = query if index is read_by else index.embed_query(text)
        hits = tuple(
            index.search(text, k=5, include_agent=agent, query_vector=vector, language=reads)
        )
        full = self.thresholds.get(language, self.threshold)
        words = len(text.split())
        short = words <= SHORT_QUESTION or (own and words <= OWN_QUESTION)
        novel = unknown >= NOVEL_AT
        relief = intent == I.POLICY and short and not novel
        threshold = min(full, POLICY_THRESHOLD) if relief else full
        about = state.shown.article
        # A folder with no article in the question's language gave the others: meaning
        # alone can tell how well they answer (they share no words with the question).
        elsewhere = bool(hits) and hits[0].passage.language != reads
        top, confidence = _best(hits, confidence_across if elsewhere else confidence_of, about)
        if about is not None:  # a follow-up: the article the conversation is about
            same = index.search(
                text,
                k=RERANK,
                include_agent=agent,
                query_vector=vector,
                language=language,
                paths=_paths_of(index, about),
            )
            there, there_confidence = _best(same, confidence_of, None)
            if there is not None and there_confidence + SAME_ARTICLE >= confidence:
                top, confidence = there, there_confidence
                hits = (there, *(h for h in hits if h.passage is not there.passage))
        opening = _opening_for_subject(index, text, top, hits) if top is not None else None
        if opening is not None:  # the article's confidence: retrieval found the article
            top = opening
        if reads != DEFAULT_LANGUAGE and (top is None or confidence < threshold):
            # No article in the customer's language answers: one in English may.
            other = tuple(
                index.search(
                    text, k=5, include_agent=agent, query_vector=vector, language=DEFAULT_LANGUAGE
                )
            )
            across, across_confidence = _best(other, confidence_across, about)
            if across is not None and across_confidence > confidence:
                hits, top, confidence = other, across, across_confidence
        evidence = tuple(
            f"{h.passage.path} › {h.passage.section} ({h.similarity:.2f})" for h in hits[:3]
        )
        if top is not None and top.passage.language != reads:
            threshold = self.across_threshold  # words cannot agree across languages
        answers = (
            top is not None
            and intent != I.NOT_BILLING
            and self.gate.answers(
                self._signals(
                    text,
                    top,
                    hits,
                    confidence,
                    threshold,
                    guess,
                    intent,
                    reads,
                    own=own,
                    agent=agent,
                    about=about,
                    reading=reading,
                    unknown=unknown,
                ),
                top.passage.path,
            )
        )
        if top is not None and answers:
            # A dispute opened just before (by the message's other part) is the situation
            # this question is asked in.
            disputing = I.escalation_category(state.shown.intent) == DISPUTE_CATEGORY
            body = self._article_body(
                top.passage, text, customer, mine, today, language, disputing=disputing
            )
            if not body:  # no sentence of it holds for this customer: as when unsure
                return self._not_sure(
                    hits, guess, confidence, evidence, agent=agent, language=language
                )
            reply = Reply(
                body, ReplyKind.ANSWER, confidence, (top.passage.citation,), evidence=evidence
            )
            shown = Shown(I.POLICY, article=top.passage.path, product=state.shown.product)
            return Decision(reply, None, hits, guess, shown)
        _ = translator(language)
        # A message naming the customer's own invoice or product is about their bill, however
        # far the articles are from it: unsure, it is offered a ticket, never "not billing".
        unrelated = (
            confidence < UNRELATED
            and not own
            and (intent is None or (novel and intent == I.POLICY))
        )
        if intent == I.NOT_BILLING or unrelated:
            reply = Reply(
                _(
                    "I handle billing questions for {partner}: invoices, payments, licences and "
                    "our support policies. Would you like to talk to a person instead?"
                ).format(partner=self.knowledge.partner.name),
                ReplyKind.OUT_OF_SCOPE,
                confidence,
            )
            return Decision(reply, None, hits, guess, offer=HUMAN_REQUEST)
        return self._not_sure(hits, guess, confidence, evidence, agent=agent, language=language)

    def _signals(  # noqa: PLR0913 (what `_policy` measured: the gate's features)
        self,
        text: str,
        top: Hit,
        hits: Sequence[Hit],
        confidence: float,
        threshold: float,
        guess: IntentGuess,
        intent: Intent | None,
        reads: str,
        *,
        own: bool,
        agent: bool,
        about: str | None,
        reading: str | None,
        unknown: float,
    ) -> Signals:
        """What the gate weighs: the passage's scores, the classifier's view, the message."""
        article = _article(top.passage.path)
        others = [h.similarity for h in hits if _article(h.passage.path) != article]
        return Signals(
            confidence=confidence,
            similarity=top.similarity,
            coverage=top.coverage,
            above_rule=confidence - threshold,
            lead=top.similarity - max(others, default=0.0),
            policy=guess.group(I.group_of(I.POLICY)),
            not_billing=guess.group(I.group_of(I.NOT_BILLING)),
            request=guess.group(I.ESCALATION_GROUP),
            lookup=guess.group(I.INVOICE_GROUP),
            unknown=unknown,
            words=math.log1p(len(text.split())),
            own=own,
            across=top.passage.language != reads,
            follow_up=about is not None,
            same_article=about is not None and _article(about) == article,
            reading=reading is not None,
            agent=agent,
            no_intent=intent is None,
        )

    def _not_sure(
        self,
        hits: tuple[Hit, ...],
        guess: IntentGuess,
        confidence: float,
        evidence: tuple[str, ...],
        *,
        agent: bool,
        language: str,
    ) -> Decision:
        """No sure answer: a customer is offered a ticket, an agent never is."""
        _ = translator(language)
        if agent:
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

    def _article_body(
        self,
        passage: Passage,
        text: str,
        customer: Customer | None,
        mine: Callable[[], list[Invoice]],
        today: date,
        language: str,
        *,
        disputing: bool = False,
    ) -> str:
        """What an article answers, with the customer's own figures when it is about them;
        "" when no sentence of it is consistent with the customer's own facts (see
        bot/answering/facts_check.py). `disputing`: the customer has just opened a dispute."""
        prefer = (customer.currency, customer.support_plan) if customer else ()
        tokenize = self.index.lexical.tokenizer(passage.language)
        facts = own_facts(
            customer, mine() if customer else [], self._folder, tokenize, passage.language
        )
        facts = replace(facts, disputing=facts.disputing or disputing)
        check = FactsCheck(text, passage.section, facts, tokenize, passage.language)
        if check.wrong_section(passage.text):
            return ""  # nothing of it holds for this customer: `_policy` says not sure
        body = extract(passage.text, text, tokenize, prefer, keep=check.consistent)
        if not body:
            return ""  # nothing holds for this customer: `_policy` says not sure
        if customer is not None:
            body += self._for_this_customer(passage.path, mine(), today, language)
            body += self._billed_for(text, mine(), language)
        if passage.language != language:
            body = in_other_language(language, passage.language) + body
        return body

    def _billed_for(self, text: str, invoices: list[Invoice], language: str) -> str:
        """A policy answer about a product the customer is billed for ("what do we pay for
        premium support") adds its line on the customer's latest invoice."""
        if not invoices:
            return ""
        latest = max(invoices, key=lambda inv: inv.issue_date)
        names = matching_products(text, {line.product for line in latest.lines}, share=NAMED)
        lines = [line for line in latest.lines if names and line.product == names[0]]
        _ = translator(language)
        return "".join(
            "\n\n"
            + _(
                "On your latest invoice, {number}: {product}, {quantity} × {price} = {amount}."
            ).format(
                number=latest.number,
                product=line.product,
                quantity=f"{line.quantity:g}",
                price=formats.money(line.unit_price, line.currency, language),
                amount=formats.money(line.amount, line.currency, language),
            )
            for line in lines[:1]
        )

    def _for_this_customer(
        self, path: str, invoices: list[Invoice], today: date, language: str = DEFAULT_LANGUAGE
    ) -> str:
        """A policy answer from the collections article adds what it means for this
        customer's own overdue invoice (a disputed invoice is never overdue)."""
        if not self._collections_citation:
            return ""
        if path.replace(".es.md", ".md") != self._collections_citation[0].path:
            return ""
        _, ngettext = translator(language), plural_translator(language)
        late = [inv for inv in invoices if inv.days_overdue(today) > 0]
        disputed = [inv for inv in invoices if inv.status == InvoiceStatus.DISPUTED]
        notes = []
        if late:
            worst = max(late, key=lambda inv: inv.days_overdue(today))
            notes.append(
                ngettext(
                    "For your account: invoice {number} was due {date} and is {days} day overdue.",
                    "For your account: invoice {number} was due {date} and is {days} days overdue.",
                    worst.days_overdue(today),
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
    def _folder(self) -> Folder:
        """What answers are checked against (bot/answering/facts_check.py)."""
        products = sorted({name for name, _sku in self.knowledge.invoices.products()})
        plan_names = self.knowledge.partner.plan_names
        return Folder(self.knowledge.customers, self.index.passages, products, plan_names)

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


def _led_by(sentence: str, decision: Decision) -> Decision:
    """`decision` with its reply's text led by `sentence` (a reply the app writes itself,
    such as a ticket's, has no text here and stays as it is)."""
    if not decision.reply.text:
        return decision
    text = f"{sentence}\n\n{decision.reply.text}"
    return dataclasses.replace(decision, reply=dataclasses.replace(decision.reply, text=text))
