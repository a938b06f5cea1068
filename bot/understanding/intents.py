"""What a message asks for: an intent learned from example phrasings, not from rules.

One multinomial logistic regression reads two kinds of evidence about a message:
its meaning (the sentence embedding retrieval already computed: no second encode) and its
spelling (TF-IDF over character n-grams, which survives typos, fragments and the partner's
product names). Its probabilities are calibrated by construction (log-loss), and when no
intent is probable enough the classifier abstains: the caller then falls back on retrieval.

Examples come from `examples/<language>.yaml` beside this module, plus the knowledge
folder's `escalation.yaml`: each category's `examples` teach `escalate.<id>` and its
`counter_examples` teach `policy`, so "what are the steps to contest a bill?" stays a question.

A fit is saved as plain arrays (no pickle) under a key of the examples, the embedding model
and the fit's settings; the next start with the same key loads it instead of fitting again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NewType

import numpy as np
import yaml

from bot.errors import BotError
from bot.knowledge.escalation import EscalationRules
from bot.retrieval.cache import EmbeddingCache, embed_cached
from bot.retrieval.embedder import Embedder

log = logging.getLogger(__name__)

EXAMPLES_DIR = Path(__file__).parent / "examples"

# What a message asks for: one of the named intents below, or `escalate.<category id>`
# (`escalate_intent`). Code names an intent by its constant here, never by its spelling (a
# test enforces it); a stored spelling becomes an Intent again through `parse_intent`.
Intent = NewType("Intent", str)

# Invoice look-ups: computed from the asker's own invoices.
BALANCE = Intent("invoice.balance")
DUE = Intent("invoice.due")
STATUS = Intent("invoice.status")  # paid / overdue / what collections does next
SHOW = Intent("invoice.show")  # one invoice: by number, month or relative reference
LINE = Intent("invoice.line")  # what one line or charge is
COMPARE = Intent("invoice.compare")
RECENT = Intent("invoice.recent")
COPY = Intent("invoice.copy")  # send a copy (the PDF)
TERM = Intent("invoice.term")  # when a subscription's term ends (renews)
POLICY = Intent("policy")
YES = Intent("offer.yes")
NO = Intent("offer.no")
GREETING = Intent("greeting")
# "thanks, that solved it", "perfect": the customer says the answer resolved their question
# (the resolution report's *confirmed*; a bare "thanks" or "bye" stays a greeting).
SOLVED = Intent("solved")
# "where are we with my request?": the status of the customer's ticket, read from the tickets
# by the app (the answerer knows none).
TICKET_STATUS = Intent("ticket.status")
NOT_BILLING = Intent("not_billing")
_ESCALATE = "escalate."  # prefix: escalate.<category id of escalation.yaml>

INVOICE_INTENTS = frozenset({BALANCE, DUE, STATUS, SHOW, LINE, COMPARE, RECENT, COPY, TERM})
# Agents' questions across customers, answered from the collections plan (bot/collections);
# asked by a customer, or by an agent about one customer, they are that customer's look-up.
OVERDUE_CUSTOMERS = Intent("collections.overdue")  # which customers are overdue
DUE_CUSTOMERS = Intent("collections.due")  # who has invoices due this week
ACROSS_CUSTOMERS = {OVERDUE_CUSTOMERS: STATUS, DUE_CUSTOMERS: DUE}
# An agent's question about one customer's collections history ("when was X last reminded"),
# answered from what was sent; asked by a customer, it is their invoices' status.
REMINDED = Intent("collections.reminded")

NAMED = frozenset(
    {
        *INVOICE_INTENTS,
        POLICY,
        YES,
        NO,
        GREETING,
        SOLVED,
        TICKET_STATUS,
        NOT_BILLING,
        *ACROSS_CUSTOMERS,
        REMINDED,
    }
)

# Groups of intents that lead to the same kind of reply (`group_of`); any other intent is
# a group of its own.
INVOICE_GROUP = "invoice"
ESCALATION_GROUP = "escalate"
COURTESY_GROUP = "courtesy"


def is_invoice(intent: Intent | None) -> bool:
    return intent in INVOICE_INTENTS


def escalate_intent(category_id: str) -> Intent:
    """The intent of escalating to an escalation.yaml category: `escalate.<id>`."""
    return Intent(_ESCALATE + category_id)


def escalation_category(intent: Intent | None) -> str | None:
    """The escalation.yaml category id an `escalate.<id>` intent names, else None."""
    if intent and intent.startswith(_ESCALATE):
        return intent[len(_ESCALATE) :]
    return None


def parse_intent(spelling: str) -> Intent | None:
    """The intent a stored or configured spelling names (a named intent, or `escalate.<id>`
    with an id), else None."""
    if spelling in NAMED or (spelling.startswith(_ESCALATE) and spelling != _ESCALATE):
        return Intent(spelling)
    return None


def _parsed(spelling: str, where: object) -> Intent:
    intent = parse_intent(spelling)
    if intent is None:
        raise BotError(f"{where}: unknown intent {spelling!r}")
    return intent


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: Intent


def group_of(intent: Intent) -> str:
    """Intents that lead to the same kind of reply form a group: every invoice look-up,
    every escalation category, the courtesies (a greeting or thanks, and thanks that say
    the question is solved: "ok, thanks!" may split between the two and still be sure)."""
    if intent in INVOICE_INTENTS or intent in ACROSS_CUSTOMERS or intent == REMINDED:
        return INVOICE_GROUP
    if escalation_category(intent) is not None:
        return ESCALATION_GROUP
    if intent in (GREETING, SOLVED):
        return COURTESY_GROUP
    return intent


@dataclass(frozen=True, slots=True)
class IntentGuess:
    """The classifier's view of one message. `intent` is None when it abstains.

    The decision is made per group first (the summed probability of all invoice look-ups,
    of all escalation categories, of policy, ...), then within the group: "when is it due"
    may split its probability between two look-ups and still be surely a look-up."""

    intent: Intent | None
    confidence: float  # the probability of the intent's group
    ranked: tuple[tuple[Intent, float], ...]  # the best few intents with their probabilities
    groups: tuple[tuple[str, float], ...] = ()  # every group, most probable first

    def probability(self, intent: Intent) -> float:
        return next((p for i, p in self.ranked if i == intent), 0.0)

    def group(self, name: str) -> float:
        return next((p for g, p in self.groups if g == name), 0.0)


def load_examples(
    rules: EscalationRules, languages: Iterable[str] = ("en", "es"), folder: Path = EXAMPLES_DIR
) -> list[Example]:
    """Built-in examples for `languages` plus the partner's escalation examples; built-in
    examples of a category the partner does not define are left out."""
    categories = {c.id for c in rules.categories}
    examples: list[Example] = []
    for language in languages:
        path = folder / f"{language}.yaml"
        if not path.is_file():
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        intents = data.get("intents")
        if not isinstance(intents, dict):
            raise BotError(f"{path}: expected an 'intents:' mapping of intent -> examples")
        for spelling, texts in intents.items():
            intent = _parsed(str(spelling), path)
            category_id = escalation_category(intent)
            if category_id is not None and category_id not in categories:
                continue
            if not isinstance(texts, list):
                raise BotError(f"{path}: intent {intent!r} needs a list of examples")
            examples += [Example(str(t), intent) for t in texts if str(t).strip()]
    for category in rules.categories:
        examples += [Example(t, escalate_intent(category.id)) for t in category.examples]
        examples += [Example(t, POLICY) for t in category.counter_examples]
    return examples


# Bump when what a saved fit holds, or how it is computed, changes.
FIT_FORMAT = 1
_NGRAMS = (2, 4)  # character n-grams within words


def examples_key(examples: Sequence[Example], model: str, *settings: object) -> str:
    """What a fit depends on: the examples, the embedding model and the fit's settings."""
    digest = hashlib.sha256(model.encode())
    for value in settings:
        digest.update(f"\0{value!r}".encode())
    for e in examples:
        digest.update(f"\0{e.intent}\0{e.text}".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class _Fit:
    """A fitted model as plain arrays: softmax(features @ coef.T + intercept)."""

    intents: tuple[Intent, ...]
    coef: np.ndarray  # (intents, embedding dimensions + n-grams)
    intercept: np.ndarray
    ngrams: tuple[str, ...]  # the TF-IDF vocabulary, in column order
    idf: np.ndarray

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.partial")
        with partial.open("wb") as out:
            np.savez(
                out,
                intents=np.array(self.intents),
                coef=self.coef,
                intercept=self.intercept,
                ngrams=np.array(self.ngrams),
                idf=self.idf,
            )
        partial.replace(path)  # atomic: a reader sees the old file or the whole new one

    @classmethod
    def load(cls, path: Path) -> _Fit | None:
        """The fit saved at `path`, or None when there is none or it cannot be read."""
        try:
            with np.load(path, allow_pickle=False) as saved:
                intents = tuple(parse_intent(str(i)) for i in saved["intents"])
                if None in intents:  # saved by a version with other intents: fit again
                    return None
                return cls(
                    tuple(i for i in intents if i is not None),
                    saved["coef"],
                    saved["intercept"],
                    tuple(str(n) for n in saved["ngrams"]),
                    saved["idf"],
                )
        except (OSError, ValueError, KeyError, zipfile.BadZipFile):
            return None


class IntentClassifier:
    """Fit from the examples, or loaded from `fits` (a folder) where the same examples, model
    and settings were fit before: fitting takes seconds, loading milliseconds."""

    def __init__(
        self,
        examples: Sequence[Example],
        embedder: Embedder,
        cache: EmbeddingCache | None = None,
        *,
        abstain_below: float = 0.35,
        regularisation: float = 32.0,
        lexical_weight: float = 1.0,
        fits: Path | None = None,
    ) -> None:
        if not examples:
            raise BotError("the intent classifier needs examples")
        self.abstain_below = abstain_below
        self.lexical_weight = lexical_weight
        self.key = examples_key(
            examples, embedder.name, FIT_FORMAT, regularisation, lexical_weight, _NGRAMS
        )
        path = fits / f"intents-{self.key}.npz" if fits else None
        fit = _Fit.load(path) if path and path.is_file() else None
        self.loaded = fit is not None
        if fit is None:
            fit = _fit(examples, embedder, cache, regularisation, lexical_weight)
            if path is not None:
                _keep_only(fit, path)
        self.intents = fit.intents
        self._coef, self._intercept = fit.coef, fit.intercept
        self._lexical = _vectorizer(vocabulary={n: i for i, n in enumerate(fit.ngrams)})
        self._lexical.idf_ = fit.idf
        # What `classify` computes per message, read out of the fit once: sklearn's per-call
        # input checks cost more than the arithmetic for one message.
        dimensions = fit.coef.shape[1] - len(fit.ngrams)
        coef = np.asarray(fit.coef, dtype=np.float64)
        self._meaning_weights = np.ascontiguousarray(coef[:, :dimensions])
        self._spelling_weights = np.ascontiguousarray(coef[:, dimensions:].T * lexical_weight)
        self._intercept = np.asarray(fit.intercept, dtype=np.float64)
        self._analyze = self._lexical.build_analyzer()
        self._vocabulary: dict[str, int] = {n: i for i, n in enumerate(fit.ngrams)}
        self._idf = np.asarray(fit.idf, dtype=np.float64)

    def _features(self, vectors: np.ndarray, lexical: Any) -> Any:
        from scipy.sparse import csr_matrix, hstack

        return hstack([csr_matrix(vectors), lexical * self.lexical_weight]).tocsr()

    def classify(self, text: str, query_vector: np.ndarray) -> IntentGuess:
        probabilities = self.probabilities(text, query_vector)
        order = np.argsort(-probabilities)
        ranked = tuple((self.intents[i], float(probabilities[i])) for i in order)
        sums: dict[str, float] = {}
        for intent, p in ranked:
            sums[group_of(intent)] = sums.get(group_of(intent), 0.0) + p
        groups = tuple(sorted(sums.items(), key=lambda pair: -pair[1]))
        group, confidence = groups[0]
        best = next(intent for intent, _p in ranked if group_of(intent) == group)
        chosen = best if confidence >= self.abstain_below else None
        return IntentGuess(chosen, confidence, ranked[:6], groups)

    def probabilities(self, text: str, query_vector: np.ndarray) -> np.ndarray:
        """Per intent (in `intents` order), what the fitted model's `predict_proba` gives for
        the message: sublinear TF-IDF over its character n-grams (L2-normalised) beside its
        embedding, through the regression's weights."""
        counts: dict[int, int] = {}
        for gram in self._analyze(text):
            column = self._vocabulary.get(gram)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        decision = self._meaning_weights @ np.asarray(query_vector, dtype=np.float64)
        decision += self._intercept
        if counts:
            columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
            weights = 1.0 + np.log(np.fromiter(counts.values(), np.float64, len(counts)))
            weights *= self._idf[columns]
            weights /= np.sqrt(weights @ weights)
            decision += weights @ self._spelling_weights[columns]
        if len(self.intents) <= 2:  # a binary model has one row of weights
            positive = 1.0 / (1.0 + np.exp(-decision[0]))
            return np.array([1.0 - positive, positive])
        decision -= decision.max()
        odds = np.exp(decision)
        return np.asarray(odds / odds.sum())


def _vectorizer(vocabulary: dict[str, int] | None = None) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=_NGRAMS,
        sublinear_tf=True,
        lowercase=True,
        vocabulary=vocabulary,
    )


def _keep_only(fit: _Fit, path: Path) -> None:
    """Save `fit` at `path` and remove the fits of earlier examples."""
    try:
        fit.save(path)
        for old in path.parent.glob("intents-*.npz"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:  # a read-only data folder: fit at every start
        log.warning("could not save the intent classifier to %s: %s", path, exc)


def _fit(
    examples: Sequence[Example],
    embedder: Embedder,
    cache: EmbeddingCache | None,
    regularisation: float,
    lexical_weight: float,
) -> _Fit:
    """One multinomial logistic regression over [embedding, weighted TF-IDF n-grams]."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression

    texts = [e.text for e in examples]
    vectors, _ = embed_cached(embedder, texts, cache)
    lexical = _vectorizer()
    ngrams = lexical.fit_transform(texts)
    features = hstack([csr_matrix(vectors), ngrams * lexical_weight]).tocsr()
    model = LogisticRegression(C=regularisation, max_iter=2000)
    model.fit(features, [e.intent for e in examples])
    vocabulary = sorted(lexical.vocabulary_.items(), key=lambda pair: pair[1])
    return _Fit(
        tuple(_parsed(str(c), "the fitted model") for c in model.classes_),
        np.asarray(model.coef_),
        np.asarray(model.intercept_),
        tuple(n for n, _ in vocabulary),
        np.asarray(lexical.idf_),
    )
