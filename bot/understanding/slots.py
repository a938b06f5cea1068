"""Slots: the concrete things a message names (regular expressions belong here, and only here).

Invoice numbers, months ("september", "sept", "septiembre"), relative references ("last
month", "the one before"), amounts in either decimal convention ("178,80", "1.981,98",
"-51.50") and products named loosely ("the copilot line", "teams phone", "the GPU line").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

INVOICE_NUMBER = re.compile(r"\b[A-Z]{2,6}-\d{4}-\d{3,6}\b", re.IGNORECASE)
# "and 0466?": the last digits of an invoice number, resolved against the customer's own.
_SHORT_NUMBER = re.compile(r"(?<![\d.,-])0\d{3}(?![\d.,])")

_MONTHS = {
    1: ("january", "jan", "enero", "ene"),
    2: ("february", "feb", "febrero"),
    3: ("march", "mar", "marzo"),
    4: ("april", "apr", "abril", "abr"),
    5: ("may", "mayo"),
    6: ("june", "jun", "junio"),
    7: ("july", "jul", "julio"),
    8: ("august", "aug", "agosto", "ago"),
    9: ("september", "sept", "sep", "septiembre", "setiembre"),
    10: ("october", "oct", "octubre"),
    11: ("november", "nov", "noviembre"),
    12: ("december", "dec", "diciembre", "dic"),
}
# The months in the languages the bot reads but does not write (German, French, Dutch,
# Portuguese, Italian: see bot/understanding/language.py), where they differ from the above.
_MONTHS_READ = {
    1: ("januar", "janvier", "januari", "janeiro", "gennaio"),
    2: ("februar", "février", "fevrier", "februari", "fevereiro", "febbraio"),
    3: ("märz", "maerz", "mars", "maart", "março"),
    4: ("avril", "aprile"),
    5: ("mai", "mei", "maio", "maggio"),
    6: ("juni", "juin", "junho", "giugno"),
    7: ("juli", "juillet", "julho", "luglio"),
    8: ("août", "aout", "augustus"),
    9: ("septembre", "setembro", "settembre"),
    10: ("oktober", "octobre", "outubro", "ottobre"),
    11: ("novembre", "novembro"),
    12: ("dezember", "décembre", "decembre", "dezembro", "dicembre"),
}
_MONTHS = {number: words + _MONTHS_READ[number] for number, words in _MONTHS.items()}
# German and Dutch glue the month to the invoice: "Novemberrechnung", "novemberfactuur".
_INVOICE_COMPOUND = "rechnung|factuur"
_MONTH_WORD = {word: number for number, words in _MONTHS.items() for word in words}
MONTH_WORDS = frozenset(_MONTH_WORD)  # every name of a month the bot reads
_MONTH = re.compile(
    r"\b(" + "|".join(sorted(_MONTH_WORD, key=len, reverse=True)) + rf")(?:{_INVOICE_COMPOUND})?\b",
    re.I,
)
# "may" is also a verb: only a month next to an invoice word or a preposition.
_MAY_AS_MONTH = re.compile(
    r"\b(in|of|from|for|the|en|de|mayo)\s+may\b|\bmay\s+(invoice|bill)", re.I
)

_LAST_MONTH = re.compile(r"\b(last|previous|past) month\b|\bel mes pasado\b|\bmes anterior\b", re.I)
_THIS_MONTH = re.compile(r"\bthis month\b|\beste mes\b|\bcurrent (invoice|bill)\b", re.I)
_BEFORE = re.compile(
    r"\b(one|invoice|bill|month) before\b|\bbefore (that|it)\b|\bprevious (one|invoice|bill)\b"
    r"|\bthe (one|month) prior\b|\banterior\b|\bla de antes\b",
    re.I,
)
_LATEST = re.compile(
    r"\b(latest|newest|most recent|last|current|new)\s+(invoice|bill|one|statement)\b"
    r"|\bÚltima factura\b|\bultima factura\b",
    re.I,
)
# "that one", "is it paid", "that invoice", "¿y esa?": the invoice the conversation is about.
_REFERS = re.compile(
    r"\b(that|this|it|that one|the same|esa|ésa|esta|ésta|ese|ése|eso|la misma)\b", re.I
)
_AMOUNT = re.compile(
    r"(?<![\w.,])(-|−)?\s?(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\w])"
)

# Loose names for products: a customer's word -> words of the product name on the invoice.
ALIASES = {
    "gpu": "a100",
    "gpus": "a100",
    "vm": "virtual machines",
    "vms": "virtual machines",
    "premium support": "premium technical support",
    "support": "technical support",
    "phone": "teams phone",
    "sql": "sql database",
    "egress": "bandwidth",
    "data transfer": "bandwidth",
    "disk": "managed disks",
    "disks": "managed disks",
    "blob": "blob storage",
    "storage": "storage",
    "backup": "backup",
    "files": "azure files",
    "pbi": "power bi",
}
# Words too common in product names to identify one.
_GENERIC = {"microsoft", "365", "azure", "plan", "online", "standard", "the", "and", "of", "-"}
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Slots:
    invoice_numbers: tuple[str, ...] = ()
    short_numbers: tuple[str, ...] = ()  # "0466"
    months: tuple[int, ...] = ()  # in the order named
    last_month: bool = False
    this_month: bool = False
    before: bool = False  # "the one before (that)"
    latest: bool = False
    amounts: tuple[Decimal, ...] = ()
    refers: bool = False  # "that one", "it": resolved against what was shown

    @property
    def names_invoice(self) -> bool:
        return bool(
            self.invoice_numbers
            or self.short_numbers
            or self.months
            or self.last_month
            or self.this_month
            or self.before
            or self.latest
        )


def parse_amount(text: str) -> Decimal | None:
    """'178,80' -> 178.80; '1.981,98' -> 1981.98; '1,224.46' -> 1224.46; '-51.50' -> -51.50."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        return None
    return _amount(match)


def _amount(match: re.Match[str]) -> Decimal | None:
    sign, digits = match.group(1), match.group(2)
    last_sep = max(digits.rfind("."), digits.rfind(","))
    if last_sep >= 0 and len(digits) - last_sep - 1 in (1, 2):
        whole, decimals = digits[:last_sep], digits[last_sep + 1 :]
    else:
        whole, decimals = digits, ""
    whole = whole.replace(".", "").replace(",", "")
    try:
        value = Decimal(f"{whole}.{decimals}" if decimals else whole)
    except InvalidOperation:
        return None
    return -value if sign else value


def months_in(text: str) -> tuple[int, ...]:
    found = []
    for match in _MONTH.finditer(text):
        word = match.group(1).lower()
        if word == "may" and not _MAY_AS_MONTH.search(text):
            continue
        if word in ("mar", "jun", "jul", "sep", "dic", "ene", "ago", "abr") and len(text) > 60:
            continue  # short forms only in short messages, where they mean the month
        found.append(_MONTH_WORD[word])
    return tuple(dict.fromkeys(found))


def extract_slots(text: str) -> Slots:
    numbers = tuple(dict.fromkeys(m.upper() for m in INVOICE_NUMBER.findall(text)))
    rest = INVOICE_NUMBER.sub(" ", text)
    amounts = []
    for match in _AMOUNT.finditer(rest):
        raw = match.group(2)
        if not any(sep in raw for sep in ".,") and not match.group(1):
            continue  # a bare integer is a count or a year, not an amount
        value = _amount(match)
        if value is not None:
            amounts.append(value)
    return Slots(
        invoice_numbers=numbers,
        short_numbers=tuple(_SHORT_NUMBER.findall(rest)),
        months=months_in(rest),
        last_month=bool(_LAST_MONTH.search(text)),
        this_month=bool(_THIS_MONTH.search(text)),
        before=bool(_BEFORE.search(text)),
        latest=bool(_LATEST.search(text)),
        amounts=tuple(amounts),
        refers=bool(_REFERS.search(text)),
    )


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def matching_products(text: str, products: Iterable[str], *, share: float = 0.0) -> list[str]:
    """The products (names or SKUs as written on the invoices) this message names, best first;
    with `share`, only those at least that share of whose own words it names ("premium
    support" names Premium Technical Support, not Business Premium, at 2/3)."""
    lowered = text.lower()
    wanted = _words(lowered)
    for alias, meaning in ALIASES.items():
        if re.search(rf"\b{re.escape(alias)}\b", lowered):
            wanted |= _words(meaning)
    scored = []
    for product in products:
        if product.lower() in lowered:
            scored.append((100.0, product))
            continue
        words = _words(product) - _GENERIC
        if not words:
            continue
        shared = words & wanted
        if shared and len(shared) / len(words) >= share:
            scored.append((len(shared) / len(words) + len(shared), product))
    scored.sort(key=lambda pair: -pair[0])
    return [product for _, product in scored]
