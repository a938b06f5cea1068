"""The scope gate: is a message inside baseline support, an escalation, or not billing at all?

Escalation categories come from the knowledge folder's `escalation.yaml`: each category's
example phrasings are embedded once, and a message close enough to one of them (and closer
to it than to any article) escalates to that category's route. An explicit request for a
person always escalates, whatever the model thinks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from bot.knowledge.escalation import Category, EscalationRules
from bot.retrieval.cache import EmbeddingCache, embed_cached
from bot.retrieval.embedder import Embedder

HUMAN_REQUEST = "human_request"
_ASKS_FOR_PERSON = re.compile(
    r"\b(talk|speak|chat|connect me|put me through|transfer me)\b.{0,30}"
    r"\b(person|human|agent|someone|somebody|representative|staff|people|manager)\b"
    r"|\b(real|live|actual) (person|human|agent)\b"
    r"|^\s*(human|agent|operator|representative)( please)?[.!]*\s*$",
    re.IGNORECASE,
)
# Words that make a message about billing even when no article matches it well.
_BILLING_WORDS = re.compile(
    r"\b(bill\w*|invoice\w*|pay\w*|charge\w*|price\w*|pricing|cost\w*|refund\w*|credit\w*|"
    r"subscription\w*|licen[cs]\w*|seats?|renew\w*|cancel\w*|tax\w*|vat|currency|discount\w*|"
    r"account|balance|overdue|suspend\w*|contract|plan|azure|microsoft|m365|office|support)\b",
    re.IGNORECASE,
)


def asks_for_person(text: str) -> bool:
    return bool(_ASKS_FOR_PERSON.search(text))


def sounds_like_billing(text: str) -> bool:
    return bool(_BILLING_WORDS.search(text))


@dataclass(frozen=True, slots=True)
class CategoryMatch:
    category: Category
    similarity: float
    example: str


class ScopeGate:
    def __init__(
        self,
        rules: EscalationRules,
        embedder: Embedder,
        cache: EmbeddingCache | None = None,
        threshold: float = 0.6,
    ) -> None:
        self.rules = rules
        self.threshold = threshold
        self._examples = [(c, e) for c in rules.categories for e in c.examples]
        texts = [e for _, e in self._examples]
        self._vectors, _ = embed_cached(embedder, texts, cache) if texts else (None, 0)

    def escalation(self, text: str, query_vector: np.ndarray) -> CategoryMatch | None:
        """The escalation category this message belongs to, if any."""
        if asks_for_person(text):
            category = self.rules.category(HUMAN_REQUEST) or Category(
                HUMAN_REQUEST, "Request for a person", next(iter(self.rules.routes), ""), "", ()
            )
            return CategoryMatch(category, 1.0, "explicit request for a person")
        if self._vectors is None:
            return None
        similarities = self._vectors @ query_vector
        best = int(np.argmax(similarities))
        if similarities[best] < self.threshold:
            return None
        category, example = self._examples[best]
        return CategoryMatch(category, float(similarities[best]), example)
