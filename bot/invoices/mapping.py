"""`MAPPING.yaml`: how the invoice export of a PSA or billing platform maps to invoice lines.

    csv:                       # how the file is written (all optional)
      delimiter: ";"           # "," (default), ";", "|" or "\\t"
      encoding: utf-8          # default; e.g. cp1252 for an Excel export
      decimal: ","             # the decimal separator of numbers: "." (default) or ","
      thousands: "."           # a thousands separator to ignore (default: none)
      dates: "%d.%m.%Y"        # how dates are written (strftime codes; default %Y-%m-%d)
    columns:                   # invoice field: the export's column header, or {value: X}
      invoice_number: Invoice No
      currency: {value: EUR}   # the same for every row
      ...
    values:                    # the export's words for statuses and charge types
      status: {Paid: paid, Open: unpaid, Past due: overdue, In dispute: disputed}
      charge_type: {Recurring: renewal, One-time: new}

Every field of `bot.knowledge.invoices.COLUMNS` is needed, except `sku` (default empty),
`tax` (default 0) and `paid_date` (default none). The lines read are checked by the same
rules as the knowledge folder's `invoices.csv`; a row that fails is reported as
`file:line:column: message` and withholds its invoice. `docs/invoice-mapping.example.yaml`
is a documented example.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from bot.errors import ImportRefused
from bot.knowledge.invoices import (
    CHARGE_TYPES,
    COLUMNS,
    STATUSES,
    FieldError,
    InvoiceLine,
    RejectedLine,
    build_line,
    checked_number,
    csv_rows,
    rejected_row,
)
from bot.knowledge.problems import FileRejected, Problem
from bot.knowledge.yaml_lines import LINE, line_of, load_yaml

OPTIONAL = {"sku": "", "tax": "0", "paid_date": ""}
WORDS = {"status": STATUSES, "charge_type": CHARGE_TYPES}
DELIMITERS = (",", ";", "|", "\t")
Refuse = Callable[[object, str], ImportRefused]  # the error naming where in the mapping
_SPACES = re.compile(r"[\s\u00a0\u202f]")  # thousands written as (narrow) no-break spaces


@dataclass(frozen=True, slots=True)
class Source:
    """Where one invoice field comes from: a column of the export, or one value."""

    column: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class Mapping:
    fields: dict[str, Source]
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    thousands: str = ""
    dates: str = "%Y-%m-%d"
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # by folded word

    def word(self, name: str, text: str) -> str:
        """Our word for the export's `text` in field `name` (status, charge_type)."""
        key = (name, text)
        found = self._words.get(key)
        if found is None:
            found = self._words[key] = self._word(name, text)
        return found

    def _word(self, name: str, text: str) -> str:
        folded = _fold(text)
        mapped = self.values.get(name, {}).get(folded)
        if mapped is not None:
            return mapped
        if folded in WORDS[name]:
            return folded
        raise FieldError(
            name,
            f"{name} {text!r} is not one of {', '.join(WORDS[name])}; map it under "
            f"values: {name}: in the mapping",
        )

    @cached_property
    def _words(self) -> dict[tuple[str, str], str]:
        return {}  # the export's words seen so far, and ours (few: statuses, charge types)

    def number(self, name: str, text: str) -> Decimal:
        plain = text
        if self.thousands:
            if self.thousands == " ":
                plain = _SPACES.sub(" ", plain)
            if self.thousands in plain:
                if not self._grouped.fullmatch(plain):  # "1.5" is no thousand and a half
                    raise FieldError(name, f"{name} {text!r} is not a number ({self._convention})")
                plain = plain.replace(self.thousands, "")
        if self.decimal != ".":
            if "." in plain:  # a point where only a comma may be: another convention
                raise FieldError(name, f"{name} {text!r} is not a number ({self._convention})")
            plain = plain.replace(self.decimal, ".")
        try:
            value = Decimal(plain)
        except InvalidOperation:
            raise FieldError(name, f"{name} {text!r} is not a number") from None
        return checked_number(name, text, value, plain)

    @cached_property
    def _grouped(self) -> re.Pattern[str]:
        thousands, decimal = re.escape(self.thousands), re.escape(self.decimal)
        return re.compile(rf"[+-]?\d{{1,3}}(?:{thousands}\d{{3}})+(?:{decimal}\d*)?")

    @property
    def _convention(self) -> str:
        example = "1" + (self.thousands or "") + "234" + self.decimal + "50"
        return f"numbers here are written like {example}"

    def date(self, name: str, text: str) -> date:
        found = _parse_date(self.dates, text)
        if found is None:
            raise FieldError(name, f"{name} {text!r} is not a date ({self.dates})")
        return found


@lru_cache(maxsize=8192)  # an export repeats few dates many times
def _parse_date(form: str, text: str) -> date | None:
    try:
        return datetime.strptime(text, form).date()
    except ValueError:
        return None


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def load_mapping(path: Path) -> Mapping:
    """The mapping in `path`; `ImportRefused` naming `path:line` when it is not usable."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{path}: cannot be read: {exc}") from None
    data, problems = load_yaml(str(path), text)
    if problems:
        raise ImportRefused(str(problems[0]))
    return _mapping(str(path), data)


def _mapping(where: str, data: Any) -> Mapping:
    def refuse(record: object, message: str) -> ImportRefused:
        return ImportRefused(f"{where}:{line_of(record)}: {message}")

    if not isinstance(data, dict):
        raise refuse(data, "expected a mapping with 'columns:' (and optional 'csv:', 'values:')")
    _only(data, {"csv", "columns", "values"}, refuse)
    settings = data.get("csv") or {}
    columns = data.get("columns") or {}
    values = data.get("values") or {}
    if "columns" not in data:
        raise refuse(data, "'columns:' is missing: which column holds each invoice field")
    for name, part in (("csv", settings), ("columns", columns), ("values", values)):
        if not isinstance(part, dict):
            raise refuse(data, f"'{name}:' must be a mapping of names to values")
    _only(settings, {"delimiter", "encoding", "decimal", "thousands", "dates"}, refuse)
    _only(columns, set(COLUMNS), refuse)
    _only(values, set(WORDS), refuse)
    written = {  # how the file is written: checked first, as it comes first in the file
        "delimiter": _choice(settings, "delimiter", ",", DELIMITERS, refuse),
        "encoding": _encoding(settings, refuse),
        "decimal": _choice(settings, "decimal", ".", (".", ","), refuse),
        "thousands": _choice(settings, "thousands", "", ("", ".", ",", "'", " "), refuse),
        "dates": _dates(settings, refuse),
    }
    if written["thousands"] and written["thousands"] == written["decimal"]:
        raise refuse(settings, "csv: thousands and decimal must differ")
    fields: dict[str, Source] = {}
    for name in COLUMNS:
        spec = columns.get(name)
        if spec is None:
            if name not in OPTIONAL:
                raise refuse(columns, f"columns: needs {name} (a column header, or {{value: X}})")
            fields[name] = Source(value=OPTIONAL[name])
        elif isinstance(spec, dict) and set(spec) - {LINE} == {"value"}:
            fields[name] = Source(value=str(spec["value"]).strip())
        elif isinstance(spec, str | int) and str(spec).strip():
            fields[name] = Source(column=str(spec).strip())
        else:
            raise refuse(columns, f"columns: {name}: expected a column header or {{value: X}}")
    return Mapping(
        fields,
        **written,
        values={name: _words(name, values.get(name), refuse) for name in WORDS},
    )


def _only(part: dict[str, Any], allowed: set[str], refuse: Refuse) -> None:
    unknown = sorted(str(k) for k in part if k != LINE and k not in allowed)
    if unknown:
        raise refuse(
            part, f"unknown key(s) {', '.join(unknown)}; expected {', '.join(sorted(allowed))}"
        )


def _choice(
    settings: dict[str, Any], name: str, default: str, allowed: tuple[str, ...], refuse: Any
) -> str:
    value = settings.get(name, default)
    value = "" if value is None else str(value)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise refuse(settings, f"csv: {name} must be one of {shown}, not {value!r}")
    return value


def _encoding(settings: dict[str, Any], refuse: Refuse) -> str:
    import codecs

    encoding = str(settings.get("encoding") or "utf-8")
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise refuse(settings, f"csv: encoding {encoding!r} is not a known encoding") from None
    return encoding


def _dates(settings: dict[str, Any], refuse: Refuse) -> str:
    form = str(settings.get("dates") or "%Y-%m-%d")
    sample = date(2026, 12, 31)
    if "%" not in form or _parse_date(form, sample.strftime(form)) != sample:
        raise refuse(settings, f"csv: dates {form!r} does not read back a date (e.g. %d.%m.%Y)")
    return form


def _words(name: str, given: Any, refuse: Refuse) -> dict[str, str]:
    if given is None:
        return {}
    if not isinstance(given, dict):
        raise refuse(given, f"values: {name}: expected the export's words and ours")
    words: dict[str, str] = {}
    for theirs, ours in given.items():
        if theirs == LINE:
            continue
        if isinstance(theirs, bool) or isinstance(ours, bool):
            raise refuse(given, f"values: {name}: quote yes/no/true/false ('{theirs}')")
        if str(ours) not in WORDS[name]:
            raise refuse(
                given,
                f"values: {name}: {theirs!r} maps to {ours!r}, not one of {', '.join(WORDS[name])}",
            )
        words[_fold(str(theirs))] = str(ours)
    return words


def read_mapped(
    name: str, lines: Iterable[str], mapping: Mapping
) -> Iterator[InvoiceLine | RejectedLine]:
    """The export's lines and rejected rows, in file order (as `read_invoices` for the
    folder's own format); `FileRejected` when its header lacks a mapped column."""
    reader = csv.reader(lines, delimiter=mapping.delimiter)
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise FileRejected(1, "empty file") from None
    except csv.Error as exc:
        raise FileRejected(1, f"the header row cannot be read: {exc}") from None
    index = _columns(header, mapping)
    constant = [(f, s.value) for f, s in mapping.fields.items() if s.value is not None]
    taken = list(index.items())
    width = max(index.values(), default=-1) + 1
    for line_no, row in csv_rows(reader):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < width:  # a short row: its missing cells are empty
            row = row + [""] * (width - len(row))
        get = dict(constant)
        for field_name, at in taken:
            get[field_name] = row[at].strip()
        try:
            get["status"] = mapping.word("status", get["status"])
            get["charge_type"] = mapping.word("charge_type", get["charge_type"])
            yield build_line(
                get, f"{name}:{line_no}", to_date=mapping.date, to_number=mapping.number
            )
        except FieldError as exc:
            found = index.get(exc.field)
            where = f" (column {header[found]!r})" if found is not None else ""
            column = found + 1 if found is not None else None
            yield rejected_row(get, Problem(name, line_no, f"{exc}{where}", column=column))


def _columns(header: list[str], mapping: Mapping) -> dict[str, int]:
    """Where each mapped column is in the header (headers compared without case)."""
    folded = [_fold(h) for h in header]
    index: dict[str, int] = {}
    missing: list[str] = []
    for name, source in mapping.fields.items():
        if source.column is None:
            continue
        found = [i for i, h in enumerate(folded) if h == _fold(source.column)]
        if not found:
            missing.append(f"{source.column!r} ({name})")
        elif len(found) > 1:
            raise FileRejected(1, f"column {source.column!r} ({name}) is in the header twice")
        else:
            index[name] = found[0]
    if missing:
        raise FileRejected(
            1,
            f"the mapping's column(s) {', '.join(missing)} are not in the header; it has: "
            + ", ".join(repr(h) for h in header),
        )
    return index
