"""Escalation matches: which `escalation.yaml` category a message was handed to, and why.

Which messages escalate is decided by the intent classifier (bot/understanding/intents.py),
trained on each category's examples and counter-examples.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.knowledge.escalation import Category

HUMAN_REQUEST = "human_request"


@dataclass(frozen=True, slots=True)
class CategoryMatch:
    category: Category
    similarity: float  # the classifier's probability (1.0 for a button or an accepted offer)
    example: str  # why: "intent", "button", "accepted offer"
