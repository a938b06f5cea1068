"""What an invoice answer is asked with and gives back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.conversation.state import Shown
from bot.knowledge.customers import Customer
from bot.knowledge.invoices import Invoice
from bot.knowledge.partner import Collections
from bot.locale import SOURCE_LANGUAGE
from bot.types import Table


@dataclass(frozen=True, slots=True)
class InvoiceAsk:
    """One invoice question, with everything its answer may use: the asker's invoices only
    (the caller has restricted them to the asking customer, so no answer can leak
    another's data)."""

    question: str
    customer: Customer
    invoices: Sequence[Invoice]
    collections: Collections
    today: date
    language: str = SOURCE_LANGUAGE  # the reply's
    agent: bool = False  # asked by a partner agent: the customer is named, not "you"

    def about(self, question: str, invoices: Sequence[Invoice]) -> InvoiceAsk:
        """The same ask, of another question or over other invoices."""
        return replace(self, question=question, invoices=invoices)


@dataclass(frozen=True, slots=True)
class InvoiceAnswer:
    text: str
    table: Table | None
    evidence: tuple[str, ...]  # invoice lines considered, as "path:line: ..."


@dataclass(frozen=True, slots=True)
class Lookup:
    """An answer and what it showed (the conversation's next "that invoice")."""

    answer: InvoiceAnswer
    shown: Shown
