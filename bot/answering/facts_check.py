"""An answer checked against the customer's own facts before it is sent.

Retrieval finds the section nearest the question, and extraction the sentences of it that
share most words with it; neither knows whom it answers. A sentence true in the folder can
still be wrong for this customer: an exemption that holds during a dispute, read by a
customer with no dispute who asked about paying late ("...never leads to a suspension"); a
"no extra cost" about billing support, read by a customer whose plan the folder prices by
the hour for the technical work it asked about; a bare "Yes." that answers its section's
heading, not the question asked. Such a sentence is not used: the answer keeps the
sentences consistent with the customer, and when none is left the bot says it is not sure
(and offers a ticket) rather than state something wrong.

Each rule is named and says why a sentence fails it (`Conflict`):
- `bare_answer_to_another_question`: a "Yes." or "No." answers the section's heading; it is
  kept only when the question asks what the heading asks (most of its words).
- `exemption_not_theirs`: a sentence sparing the customer a consequence of paying late (no
  suspension, no reminders, no interest) under a situation it names (a dispute, a payment
  arrangement) that the question does not raise and the customer is not in.
  `wrong_section`: the same of a whole section about disputes, for a customer with no
  disputed invoice who did not ask about one (the facts tell whether an invoice is
  disputed; an arrangement can be asked about in any words, so it stays sentence by
  sentence).
- `free_but_priced`: a sentence saying something comes at no cost, while the question asks
  about something the folder prices for the customer's plan that the sentence does not name
  (a sentence with a price or naming the customer's plan states the plan's own terms).
- `another_plans_terms`: what another plan includes at no cost, or any term of another plan
  when the customer asks about its own ("is that included for us?"), unless the question
  names that plan; a section about another plan answers such a question not at all.

A plan is named by its id and by the names the partner gives it in the answer's language
(`partner.yaml` `support_plans`: "Estándar" is the Standard plan in Spanish), matched
without regard to case or accents (bot/knowledge/plans.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property

from bot.knowledge.customers import Customer
from bot.knowledge.invoices import Invoice, InvoiceStatus
from bot.knowledge.plans import PlanNames, fold
from bot.types import Passage

Tokenize = Callable[[str], list[str]]

# A bare answer: the whole sentence is a yes or a no.
_BARE = re.compile(r"^\W*(yes|no|sí|si)\W*$", re.I)
# More than this share of a heading's words must be in the question for its bare answer.
HEADING_SHARE = 0.5
# Situations that spare a customer consequences, by language.
_SITUATIONS: Mapping[str, Mapping[str, re.Pattern[str]]] = {
    "dispute": {
        "en": re.compile(r"\b(disput\w*|contest\w*)", re.I),
        "es": re.compile(r"\b(disput\w*|reclamaci[oó]n\w*|reclamad\w*)", re.I),
    },
    "arrangement": {
        "en": re.compile(r"\b(payment (arrangement|plan)s?|instal+ments?)\b", re.I),
        "es": re.compile(r"\b(acuerdos? de pago|plan(es)? de pagos?|plazos)\b", re.I),
    },
}
# A consequence of paying late, said not to happen ("never leads to a suspension").
_SPARED: Mapping[str, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(no|not|never|without)\b[^.;:]{0,40}?\b(suspen\w*|reminders?|interest|late fees?)",
        re.I,
    ),
    "es": re.compile(
        r"\b(no|nunca|sin|ning[uú]n\w*)\b[^.;:]{0,40}?\b(suspen\w*|recordatorios?|intereses?|"
        r"recargos?)",
        re.I,
    ),
}
# "At no cost": said of what the sentence names.
_FREE: Mapping[str, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(no extra cost|no additional cost|at no cost|no charge|free|included)\b", re.I
    ),
    "es": re.compile(
        r"\b(sin (coste|costo|cargo)( adicional)?|gratis|gratuit[oa]|incluid[oa])\b", re.I
    ),
}
# A question about the customer's own terms ("is it included for us?").
_OWN: Mapping[str, re.Pattern[str]] = {
    "en": re.compile(r"\b(we|us|our|ours|i|me|my)\b", re.I),
    "es": re.compile(r"\b(nos|nosotros|nuestr[oa]s?|mi|mis|me|tengo|tenemos)\b", re.I),
}
# A price: an amount in a currency, or a rate per hour.
_PRICE = re.compile(
    r"\b(EUR|USD|GBP)\s?\d|[€$£]\s?\d|\d\s?(EUR|USD|GBP|€)"
    r"|\bper hour\b|\bhourly\b|\bpor horas?\b|\bla hora\b",
    re.I,
)
# Words of asking about money itself: they say nothing of what is priced.
_COST_WORDS = (
    "cost costs charge charged charges price prices pay paid paying fee fees free extra "
    "included include rate hour hourly per month eur usd gbp excluding vat "
    "customer customers ask team invoice invoiced invoices bill billed billing available plan "
    "coste costo precio pagar pago gratis incluido hora mes iva cliente clientes factura "
    "facturas facturada facturado facturación equipo pedir piden reciben disponible plan planes"
)
_SENTENCE = re.compile(r"(?<=[.!?:])\s+(?=[A-Z0-9*\"'(])")


@dataclass(frozen=True, slots=True)
class OwnFacts:
    """What an answer must not contradict: the customer's plan, the plans the folder's
    customers are on, whether one of its invoices is disputed, and the words of what the
    folder prices for its plan (stemmed as the question is); what each plan is called in
    the answer's language."""

    plan: str = ""
    plans: frozenset[str] = frozenset()
    disputing: bool = False
    priced: frozenset[str] = frozenset()
    products: tuple[str, ...] = ()  # "Business Premium" is a product, not the plan
    called: tuple[tuple[str, tuple[str, ...]], ...] = ()  # plan -> its names (id first)

    def names(self, text: str, plan: str) -> bool:
        """Whether `text` names `plan`, by its id or a name of it, case and accents aside
        (outside a product's name)."""
        if not plan:
            return False
        text = fold(text)
        for product in self.products:
            text = text.replace(fold(product), " ")
        names = next((names for p, names in self.called if p == plan), (plan,))
        return any(_names(text, fold(name)) for name in names)


@dataclass(frozen=True, slots=True)
class Conflict:
    rule: str
    sentence: str


@dataclass(frozen=True)
class Folder:
    """What of the knowledge folder the facts are read against. What it says of a plan is
    read once per plan and language (every answer to that plan's customers checks it)."""

    customers: Sequence[Customer]
    passages: Sequence[Passage]
    products: Sequence[str]  # the invoices' product names
    plan_names: PlanNames = field(default_factory=PlanNames)  # partner.yaml `support_plans`
    _priced: dict[tuple[str, str], frozenset[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @cached_property
    def plans(self) -> frozenset[str]:
        return frozenset(c.support_plan.lower() for c in self.customers if c.support_plan)

    @cached_property
    def longest_products_first(self) -> tuple[str, ...]:
        return tuple(sorted(self.products, key=len, reverse=True))

    def priced(self, facts: OwnFacts, tokenize: Tokenize, language: str) -> frozenset[str]:
        """`_priced_for` the plan of `facts` in `language`, read the first time it is asked."""
        key = (facts.plan, language)
        if key not in self._priced:  # two threads at once both read it: the same value
            written = [p for p in self.passages if p.language == language]
            self._priced[key] = _priced_for(facts, written, tokenize, language)
        return self._priced[key]


def own_facts(
    customer: Customer | None,
    invoices: Sequence[Invoice],
    folder: Folder,
    tokenize: Tokenize,
    language: str = "en",
) -> OwnFacts:
    """The facts of `customer` (none: nothing to contradict) in `folder` (its passages in
    `language` say what the customer's plan pays for)."""
    if customer is None:
        return OwnFacts()
    plan = (customer.support_plan or "").lower()
    plans = folder.plans | {plan} if plan else folder.plans
    facts = OwnFacts(
        plan=plan,
        plans=folder.plans,
        disputing=any(inv.status is InvoiceStatus.DISPUTED for inv in invoices),
        products=folder.longest_products_first,
        called=tuple((p, folder.plan_names.of(p, language)) for p in sorted(plans)),
    )
    priced = folder.priced(facts, tokenize, language) if plan else frozenset()
    return replace(facts, priced=priced)


def _priced_for(
    facts: OwnFacts, passages: Iterable[Passage], tokenize: Tokenize, language: str
) -> frozenset[str]:
    """The words of what the folder prices for the customer's plan: sentences with a price
    that name the plan, or stand in a line or under a heading that does, and name no other
    plan (a sentence saying something is free prices nothing); less the words of money, of
    the trade and the plans' names."""
    plan, others = facts.plan, [p for p in facts.plans if p != facts.plan]
    words: set[str] = set()
    for passage in passages:
        under_plan = facts.names(passage.section, plan)
        for line in passage.text.splitlines():
            about_plan = under_plan or facts.names(line, plan)
            for sentence in _SENTENCE.split(line):
                if not _PRICE.search(sentence) or _FREE[language].search(sentence):
                    continue
                if any(facts.names(sentence, other) for other in others):
                    continue
                if about_plan or facts.names(sentence, plan):
                    words.update(tokenize(sentence))
    generic = set(tokenize(_COST_WORDS)) | set(_COST_WORDS.split())
    for _plan, names in facts.called:
        for name in names:
            generic.update(tokenize(name))
            generic.update(tokenize(fold(name)))
    return frozenset(w for w in words if w not in generic and not any(c.isdigit() for c in w))


def _names(text: str, word: str) -> bool:
    return bool(word) and re.search(rf"\b{re.escape(word)}\b", text, re.I) is not None


class FactsCheck:
    """Whether a sentence of `passage` may answer `question` for a customer with `facts`."""

    def __init__(
        self, question: str, heading: str, facts: OwnFacts, tokenize: Tokenize, language: str
    ) -> None:
        self.question = question
        self.heading = heading
        self.facts = facts
        self.tokenize = tokenize
        self.language = language if language in _FREE else "en"
        self.asked = set(tokenize(question))

    def conflict(self, sentence: str) -> Conflict | None:
        """The first rule `sentence` breaks, if any."""
        for rule in (
            self.bare_answer_to_another_question,
            self.exemption_not_theirs,
            self.free_but_priced,
            self.another_plans_terms,
        ):
            if rule(sentence):
                return Conflict(rule.__name__, sentence)
        return None

    def consistent(self, sentence: str) -> bool:
        return self.conflict(sentence) is None

    def bare_answer_to_another_question(self, sentence: str) -> bool:
        if not _BARE.match(sentence):
            return False
        heading = set(self.tokenize(self.heading))
        return bool(heading) and len(heading & self.asked) <= HEADING_SHARE * len(heading)

    def wrong_section(self, text: str) -> bool:
        """A section about a dispute that spares a consequence of paying late, for a
        customer with no disputed invoice who did not ask about disputing: its exemption
        is not theirs, and the rest of it answers another situation (the question
        retrieval brought here was about paying late, not about disputing). Or a section
        about another plan, for a customer asking about its own terms without naming it."""
        dispute = _SITUATIONS["dispute"][self.language]
        not_their_dispute = (
            not self.facts.disputing
            and bool(dispute.search(self.heading))
            and not dispute.search(self.question)
            and bool(_SPARED[self.language].search(text))
        )
        return not_their_dispute or self._another_plans_section()

    def _another_plans_section(self) -> bool:
        facts = self.facts
        if not facts.plan or not self.about_own_terms():
            return False
        if facts.names(self.heading, facts.plan):
            return False
        others = [p for p in facts.plans if p != facts.plan and facts.names(self.heading, p)]
        return bool(others) and not any(facts.names(self.question, p) for p in others)

    def exemption_not_theirs(self, sentence: str) -> bool:
        if not _SPARED[self.language].search(sentence):
            return False
        for situation, patterns in _SITUATIONS.items():
            pattern = patterns[self.language]
            theirs = situation == "dispute" and self.facts.disputing
            if pattern.search(sentence) and not theirs and not pattern.search(self.question):
                return True
        return False

    def free_but_priced(self, sentence: str) -> bool:
        """A sentence with a price or naming the customer's plan states the plan's own
        terms; any other "no cost" must name what the question asks about."""
        if not self.facts.priced or not _FREE[self.language].search(sentence):
            return False
        if _PRICE.search(sentence) or self.facts.names(sentence, self.facts.plan):
            return False
        unnamed = (self.asked & self.facts.priced) - set(self.tokenize(sentence))
        return bool(unnamed)

    def another_plans_terms(self, sentence: str) -> bool:
        """What another plan includes, or (asked about the customer's own terms: "is it
        included for us?") any term of another plan, unless the question names that plan."""
        facts = self.facts
        free = _FREE[self.language].search(sentence)
        if not facts.plan or not (free or self.about_own_terms()):
            return False
        others = [p for p in facts.plans if p != facts.plan and facts.names(sentence, p)]
        if not others or facts.names(sentence, facts.plan):
            return False
        return not any(facts.names(self.question, p) for p in others)

    def about_own_terms(self) -> bool:
        """Whether the question asks about the customer's own terms ("for us", "our")."""
        return bool(_OWN[self.language].search(self.question))
