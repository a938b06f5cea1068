"""Which invoice question a message asks, if any: a few patterns over the words.

Only questions about the asker's own account count ("when is MY invoice due?"); "when are
invoices due?" is a policy question about payment terms, and a complaint about an invoice
("I want to dispute NW-…") is an escalation, not a lookup.
"""

from __future__ import annotations

import re
from enum import StrEnum


class InvoiceQuestion(StrEnum):
    DETAIL = "detail"  # one invoice's lines
    COMPARE = "compare"  # why is this bill higher than the last one
    OVERDUE = "overdue"  # overdue status and what the collections policy does next
    BALANCE = "balance"  # what is owed in total
    DUE = "due"  # when the next payment is due
    RECENT = "recent"  # the latest invoices


INVOICE_NUMBER = re.compile(r"\b[A-Z]{2,6}-\d{4}-\d{3,6}\b", re.IGNORECASE)
_COMPLAINT = re.compile(
    r"\b(dispute\w*|refund\w*|credit note|wrong|incorrect|error|mistake|overcharg\w*|"
    r"charged twice|double charged|money back)\b"
)
_PERSONAL = r"\b(my|our|we|i|me|us|i'm|we're)\b"
_BILL = r"\b(bill|invoice|invoices|bills|charges?|statement)\b"
_PATTERNS: tuple[tuple[InvoiceQuestion, tuple[str, ...]], ...] = (
    (InvoiceQuestion.COMPARE, (
        r"\b(higher|more|increased?|went up|gone up|go up|jump(ed)?|bigger|larger|rose|risen|"
        r"expensive)\b.{0,30}\b(than|last month|previous (month|invoice|bill)|before)\b",
        r"\bwhy\b.{0,40}" + _BILL + r".{0,30}\b(go up|gone up|went up|higher|increase\w*)\b",
    )),
    (InvoiceQuestion.OVERDUE, (
        r"\b(overdue|past due|behind on|late on|suspend\w*|suspension|cut off|unpaid)\b",
    )),
    (InvoiceQuestion.BALANCE, (
        r"\b(balance|outstanding|owe|owing|amount due|total due|how much .{0,20}(pay|due))\b",
    )),
    (InvoiceQuestion.DUE, (
        r"\b(due|due date|deadline)\b",
        r"\bwhen\b.{0,30}\b(pay|payment)\b",
    )),
    (InvoiceQuestion.RECENT, (
        r"\b(show|list|see|send|give)\b.{0,25}\b(invoices|bills|statements)\b",
        r"\b(recent|latest|last|previous|past)\s+(\d+\s+)?(invoices|bills|statements)\b",
        r"\b(invoice|billing) history\b",
    )),
)  # fmt: skip


def classify(text: str) -> InvoiceQuestion | None:
    """Which invoice question this is, or None for a policy question.

    Only questions about the asker's own account count ("when is MY invoice due?");
    "when are invoices due?" is a policy question about payment terms.
    """
    lowered = text.lower()
    if _COMPLAINT.search(lowered):
        return None  # about an invoice, but an escalation, not a lookup
    if INVOICE_NUMBER.search(text):
        return InvoiceQuestion.DETAIL
    if not re.search(_PERSONAL, lowered):
        return None
    about_money = re.search(
        _BILL + r"|\b(pay|payments?|paid|balance|owe|account|overdue|past due)\b", lowered
    )
    if not about_money or re.search(r"\b(what happens|what if|how do|how can|can i)\b", lowered):
        return None  # no money of theirs, or a hypothetical: that is policy
    for kind, patterns in _PATTERNS:
        if any(re.search(p, lowered) for p in patterns):
            return kind
    return None
