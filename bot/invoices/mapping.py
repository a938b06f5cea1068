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
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from pathlib import Path
from string import Formatter
from typing import Any

from bot.errors import ImportRefused
from bot.invoices.customers import CustomerMatcher
from bot.knowledge.invoices import (
    CHARGE_TYPES,
    COLUMNS,
    STATUSES,
    FieldError,
    InvoiceLine,
    InvoiceStatus,
    RejectedLine,
    build_line,
    checked_number,
    csv_rows,
    rejected_row,
)
from bot.knowledge.problems import FileRejected, Problem, Severity
from bot.knowledge.yaml_lines import LINE, line_of, load_yaml

OPTIONAL = {"sku": "", "tax": "0", "paid_date": ""}
# Optional fields beyond an invoice line's: a customer name tried when `customer_id` matches
# no customer, a discount percentage (shown as its own line), the invoice's stated total.
EXTRA = ("customer_name", "discount_percent", "invoice_total")
SKIPPED = ("void", "draft")  # statuses whose rows are not imported: nothing is owed on them
WORDS = {"status": STATUSES, "charge_type": CHARGE_TYPES}
OUR_WORDS = {"status": (*STATUSES, *SKIPPED), "charge_type": CHARGE_TYPES}
# A column of the partner's own cost (Pax8's cost / costTotal, a PSA's "Unit Cost"): never
# shown to a customer, so never mapped to an invoice field.
COST = re.compile(r"cost", re.IGNORECASE)
TRUE = {"true", "yes", "y", "1", "x", "void", "voided"}
DELIMITERS = (",", ";", "|", "\t")
Refuse = Callable[[object, str], ImportRefused]  # the error naming where in the mapping
_SPACES = re.compile(r"[\s\u00a0\u202f]")  # thousands written as (narrow) no-break spaces


@dataclass(frozen=True, slots=True)
class Source:
    """Where one invoice field comes from: a column of the export, or one value."""

    column: str | None = None
    value: str | None = None
    template: str | None = None  # "PX-{year}-{month}-{Company}": columns and the issue date
    issue_month: str | None = None  # "start" or "end": the issue date's month
    from_dates: bool = False  # status: paid date set -> paid, void -> void, past due -> overdue
    void: str | None = None  # with from_dates: a column whose true value voids the invoice
    contains: tuple[tuple[str, str], ...] = ()  # charge type: a word in `column` -> ours
    default: str | None = None  # charge type when no word of `contains` is in `column`
    from_customer: bool = False  # currency: the customer's in customers.yaml

    def headers(self) -> list[str]:
        """The export's columns this field reads."""
        found = [h for h in (self.column, self.void) if h]
        if self.template:
            found += [f for _, f, _, _ in Formatter().parse(self.template) if f]
        return [h for h in found if h not in ("year", "month", "customer")]


@dataclass(frozen=True)
class Mapping:
    fields: dict[str, Source]
    delimiter: str = ","
    encoding: str = "utf-8"
    decimal: str = "."
    thousands: str = ""
    dates: str = "%Y-%m-%d"
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # by folded word
    extra: dict[str, Source] = field(default_factory=dict)  # customer_name, discount, total
    amount_check: str = "reject"  # or "warn": qty × unit price may differ (fees, discounts)
    paid_date_required: bool = True  # False: the platform exports no paid date
    more_dates: tuple[str, ...] = ()  # other ways the export writes dates

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
        if folded in OUR_WORDS[name]:
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
        for form in self.more_dates:
            if found is None:
                found = _parse_date(form, text)
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


PRESETS = ("pax8", "xero", "autotask")


def load_preset(name: str) -> Mapping:
    """The mapping shipped for a billing platform's export (`PRESETS`)."""
    if name not in PRESETS:
        raise ImportRefused(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    return load_mapping(Path(__file__).parent / "presets" / f"{name}.yaml")


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

    settings, columns, values, checks = _parts(data, refuse)
    forms = _dates(settings, refuse)
    written = _written(settings, forms[0], refuse)
    fields, extra = _fields(columns, refuse)
    amount, paid = _checks(checks, refuse)
    return Mapping(
        fields,
        **written,
        values={name: _words(name, values.get(name), refuse) for name in WORDS},
        extra=extra,
        amount_check=amount,
        paid_date_required=paid == "required",
        more_dates=tuple(forms[1:]),
    )


def _parts(data: Any, refuse: Refuse) -> tuple[dict[str, Any], ...]:
    """The mapping's four parts (csv, columns, values, checks), each a mapping of known
    keys."""
    if not isinstance(data, dict):
        raise refuse(data, "expected a mapping with 'columns:' (and optional 'csv:', 'values:')")
    _only(data, {"csv", "columns", "values", "checks"}, refuse)
    if "columns" not in data:
        raise refuse(data, "'columns:' is missing: which column holds each invoice field")
    parts = tuple(data.get(name) or {} for name in ("csv", "columns", "values", "checks"))
    for name, part in zip(("csv", "columns", "values", "checks"), parts, strict=True):
        if not isinstance(part, dict):
            raise refuse(data, f"'{name}:' must be a mapping of names to values")
    settings, columns, values, checks = parts
    _only(settings, {"delimiter", "encoding", "decimal", "thousands", "dates"}, refuse)
    _only(columns, {*COLUMNS, *EXTRA}, refuse)
    _only(values, set(WORDS), refuse)
    _only(checks, {"amount", "paid_date"}, refuse)
    return parts


def _written(settings: dict[str, Any], dates: str, refuse: Refuse) -> dict[str, Any]:
    """How the file is written: checked first, as it comes first in the file."""
    written = {
        "delimiter": _choice(settings, "delimiter", ",", DELIMITERS, refuse),
        "encoding": _encoding(settings, refuse),
        "decimal": _choice(settings, "decimal", ".", (".", ","), refuse),
        "thousands": _choice(settings, "thousands", "", ("", ".", ",", "'", " "), refuse),
        "dates": dates,
    }
    if written["thousands"] and written["thousands"] == written["decimal"]:
        raise refuse(settings, "csv: thousands and decimal must differ")
    return written


def _fields(columns: dict[str, Any], refuse: Refuse) -> tuple[dict[str, Source], dict[str, Source]]:
    """Where each invoice field comes from, and each extra one the mapping reads."""
    fields: dict[str, Source] = {}
    extra: dict[str, Source] = {}
    for name in (*COLUMNS, *EXTRA):
        spec = columns.get(name)
        if spec is None:
            if name in EXTRA:
                continue
            if name not in OPTIONAL:
                raise refuse(columns, f"columns: needs {name} (a column header, or {{value: X}})")
            fields[name] = Source(value=OPTIONAL[name])
            continue
        source = _source(name, spec, columns, refuse)
        _no_cost(name, source, columns, refuse)
        (extra if name in EXTRA else fields)[name] = source
    return fields, extra


def _no_cost(name: str, source: Source, columns: dict[str, Any], refuse: Refuse) -> None:
    for header in source.headers():
        if COST.search(header):
            raise refuse(
                columns,
                f"columns: {name}: {header!r} is the partner's cost, which must never "
                "reach a customer; map the price the customer is billed instead",
            )


def _checks(checks: dict[str, Any], refuse: Refuse) -> tuple[str, str]:
    amount = str(checks.get("amount", "reject"))
    if amount not in ("reject", "warn"):
        raise refuse(checks, f"checks: amount must be reject or warn, not {amount!r}")
    paid = str(checks.get("paid_date", "required"))
    if paid not in ("required", "optional"):
        raise refuse(checks, f"checks: paid_date must be required or optional, not {paid!r}")
    return amount, paid


def _source(name: str, spec: Any, columns: dict[str, Any], refuse: Refuse) -> Source:
    """Where field `name` comes from, as the mapping writes it."""
    if isinstance(spec, str | int) and str(spec).strip():
        return Source(column=str(spec).strip())
    if not isinstance(spec, dict):
        raise refuse(columns, f"columns: {name}: expected a column header or {{value: X}}")
    keys = set(spec) - {LINE}
    if keys == {"value"}:
        return Source(value=str(spec["value"]).strip())
    if name == "currency" and spec.get("from") == "customer" and keys == {"from"}:
        return Source(from_customer=True)
    if keys == {"template"} and name == "invoice_number":
        return Source(template=str(spec["template"]))
    if keys == {"issue_month"} and name in ("period_start", "period_end"):
        if spec["issue_month"] not in ("start", "end"):
            raise refuse(spec, f"columns: {name}: issue_month is start or end")
        return Source(issue_month=str(spec["issue_month"]))
    if name == "status" and spec.get("from") == "dates" and keys <= {"from", "void"}:
        void = spec.get("void")
        return Source(from_dates=True, void=str(void) if void else None)
    if name == "charge_type" and keys <= {"column", "contains", "default"} and "column" in keys:
        return _charge_source(spec, refuse)
    raise refuse(
        spec, f"columns: {name}: expected a column header, {{value: X}}" + FORMS.get(name, "")
    )


# What else a field may be written as, for the message refusing what it is.
FORMS = {
    "invoice_number": ", or {template: 'PX-{year}-{Column}'}",
    "period_start": ", or {issue_month: start}",
    "period_end": ", or {issue_month: end}",
    "status": ", or {from: dates, void: Column}",
    "currency": ", or {from: customer}",
    "charge_type": ", or {column: X, contains: {word: type}, default: type}",
}


def _charge_source(spec: dict[str, Any], refuse: Refuse) -> Source:
    """`charge_type: {column: X, contains: {word: type}, default: type}`."""
    words = spec.get("contains") or {}
    default = spec.get("default")
    if not isinstance(words, dict) or any(
        str(v) not in CHARGE_TYPES for k, v in words.items() if k != LINE
    ):
        raise refuse(spec, f"columns: charge_type: contains maps words to {CHARGE_TYPES}")
    if default is not None and str(default) not in CHARGE_TYPES:
        raise refuse(spec, f"columns: charge_type: default must be one of {CHARGE_TYPES}")
    return Source(
        column=str(spec["column"]),
        contains=tuple((_fold(str(k)), str(v)) for k, v in words.items() if k != LINE),
        default=str(default) if default is not None else None,
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


def _dates(settings: dict[str, Any], refuse: Refuse) -> list[str]:
    given = settings.get("dates") or "%Y-%m-%d"
    forms = [str(f) for f in given] if isinstance(given, list) else [str(given)]
    sample = date(2026, 12, 31)
    for form in forms:
        if "%" not in form or _parse_date(form, sample.strftime(form)) != sample:
            raise refuse(settings, f"csv: dates {form!r} does not read back a date (e.g. %d.%m.%Y)")
    return forms or ["%Y-%m-%d"]


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
        if str(ours) not in OUR_WORDS[name]:
            raise refuse(
                given,
                f"values: {name}: {theirs!r} maps to {ours!r}, "
                f"not one of {', '.join(OUR_WORDS[name])}",
            )
        words[_fold(str(theirs))] = str(ours)
    return words


# Columns only a Partner Center reconciliation file has (with PartnerId, CustomerId and
# CustomerName): what Microsoft bills the partner, not what the partner bills its customers.
RECONCILIATION = {"partnerid", "mpnid", "resellermpnid", "chargestartdate", "subscriptionid",
                  "partnerearnedcreditpercentage", "availabilityid", "pricingcurrency"}  # fmt: skip
PARTNER_CENTER = (
    "this is a Partner Center reconciliation file: what Microsoft bills the partner (its "
    "cost), not what the partner invoices its customers; import your PSA's or billing "
    "platform's customer invoices instead (or, if you bill customers at exactly Microsoft's "
    "prices, say so with --at-partner-center-prices)"
)
CENT = Decimal("0.01")


def read_mapped(
    name: str,
    lines: Iterable[str],
    mapping: Mapping,
    *,
    customers: CustomerMatcher | None = None,
    today: date | None = None,
    notes: list[Problem] | None = None,
    partner_center_prices: bool = False,
) -> Iterator[InvoiceLine | RejectedLine]:
    """The export's lines and rejected rows, in file order (as `read_invoices` for the
    folder's own format); `FileRejected` when its header lacks a mapped column, or is a
    Partner Center reconciliation file's. `customers` matches the customer columns to
    customers.yaml (ids pass as they are without it); warnings (amounts tolerated, void
    and draft rows skipped) are added to `notes`."""
    reader = csv.reader(lines, delimiter=mapping.delimiter)
    header = _header(reader, partner_center_prices=partner_center_prices)
    export = _Export(
        name,
        header,
        mapping,
        customers,
        today or date.today(),
        notes if notes is not None else [],
    )
    for line_no, row in csv_rows(reader):
        if any(cell.strip() for cell in row):
            yield from export.read(line_no, row)
    yield from export.total_problems()


def _header(reader: Iterator[list[str]], *, partner_center_prices: bool) -> list[str]:
    """The header row, stripped; `FileRejected` when there is none, or it is a Partner
    Center reconciliation file's."""
    try:
        header = [cell.strip() for cell in next(reader)]
    except StopIteration:
        raise FileRejected(1, "empty file") from None
    except csv.Error as exc:
        raise FileRejected(1, f"the header row cannot be read: {exc}") from None
    # Read with another delimiter than the mapping's, a header is one cell: split it on any,
    # so a reconciliation file is told as one whatever the mapping says.
    cells = header if len(header) > 1 else re.split(r"[,;|\t]", header[0])
    plain = {re.sub(r"[^a-z]", "", h.casefold()) for h in cells}
    if (
        not partner_center_prices
        and {"partnerid", "customerid", "customername"} <= plain
        and plain & RECONCILIATION
    ):
        raise FileRejected(1, PARTNER_CENTER)
    return header


class _Export:
    """One export being read with a mapping: where its columns are, and what its invoices'
    rows said so far (currency, stated totals)."""

    def __init__(
        self,
        name: str,
        header: list[str],
        mapping: Mapping,
        customers: CustomerMatcher | None,
        today: date,
        notes: list[Problem],
    ) -> None:
        self.name = name
        self.header = header
        self.mapping = mapping
        self.customers = customers
        self.today = today
        self.notes = notes
        sources = {**mapping.fields, **mapping.extra}
        self.at = _columns(header, sources)  # header (folded): its index
        self.where = {  # field: the index of the column it reads, for the column of a problem
            f: self.at[_fold(s.headers()[0])] for f, s in sources.items() if s.headers()
        }
        self.constant = {f: s.value for f, s in mapping.fields.items() if s.value is not None}
        self.constant.update(
            {f: "" for f, s in sources.items() if f not in self.constant and not s.headers()}
        )
        self.width = max(self.at.values(), default=-1) + 1
        self.totals: dict[str, _Total] = {}
        self.currencies: dict[str, tuple[str, int]] = {}  # invoice: its first line's currency

    def read(self, line_no: int, row: list[str]) -> Iterator[InvoiceLine | RejectedLine]:
        """A non-blank row's line (and its discount line), or the row rejected."""
        if len(row) < self.width:  # a short row: its missing cells are empty
            row = row + [""] * (self.width - len(row))
        get = dict(self.constant)
        for field_name, index in self.where.items():
            get[field_name] = row[index].strip()
        try:
            line, discount = self._lines(line_no, get, row)
        except FieldError as exc:
            yield self._rejected(exc, line_no, get)
            return
        if line is None:
            return
        yield line
        if discount is not None:
            yield discount
        if "invoice_total" in self.mapping.extra:
            total = self.totals.setdefault(line.invoice_number, _Total(line_no, line.customer_id))
            total.lines += line.amount + line.tax + (discount.amount if discount else 0)
            total.conflict |= not _add_stated(total, get.get("invoice_total", ""), self.mapping)

    def _lines(
        self, line_no: int, get: dict[str, str], row: list[str]
    ) -> tuple[InvoiceLine | None, InvoiceLine | None]:
        line = self._line(line_no, get, row)
        if line is None:
            return None, None
        _one_currency(line, line_no, self.currencies)
        if "discount_percent" in self.mapping.extra:
            return _discounted(line, get, self.mapping)
        return line, None

    def _rejected(self, exc: FieldError, line_no: int, get: dict[str, str]) -> RejectedLine:
        found = self.where.get(exc.field)
        shown = f" (column {self.header[found]!r})" if found is not None else ""
        column = found + 1 if found is not None else None
        rejected = rejected_row(get, Problem(self.name, line_no, f"{exc}{shown}", column=column))
        if rejected.invoice_number in self.totals:
            self.totals[rejected.invoice_number].failed = True
        return rejected

    def total_problems(self) -> Iterator[RejectedLine]:
        """The invoices whose lines do not add up to the total their rows state."""
        for number, total in self.totals.items():
            message = self._total_problem(total)
            if message is not None:
                yield rejected_row(
                    {"invoice_number": number, "customer_id": total.customer},
                    Problem(
                        self.name,
                        total.first_line,
                        message,
                        column=self.where["invoice_total"] + 1,
                    ),
                )

    def _total_problem(self, total: _Total) -> str | None:
        if total.failed or total.stated is None:
            return None
        shown = self.header[self.where["invoice_total"]]
        if total.conflict:
            return f"the invoice's rows state different totals (column {shown!r})"
        if abs(total.lines - total.stated) > CENT:
            return (
                f"the invoice's lines add up to {total.lines} with tax, but its stated total "
                f"is {total.stated} (column {shown!r})"
            )
        return None

    def _line(self, line_no: int, get: dict[str, str], row: list[str]) -> InvoiceLine | None:
        """One row's invoice line (None: a void or draft row, noted); `FieldError`
        otherwise."""
        mapping = self.mapping
        self._customer(get)
        parsed = self._from_issue_date(get, row)
        get["status"] = self._status(get, row)
        if get["status"] in SKIPPED:
            self.notes.append(
                Problem(
                    self.name,
                    line_no,
                    f"invoice {get['invoice_number']} is {get['status']}: its row is not imported",
                    Severity.WARNING,
                )
            )
            return None
        get["charge_type"] = _charge_type(get["charge_type"], mapping)

        def to_date(field_name: str, text: str) -> date:
            return parsed.get(field_name) or mapping.date(field_name, text)

        discounted = bool(get.get("discount_percent", "").strip("0.,% "))
        line = build_line(
            get,
            f"{self.name}:{line_no}",
            to_date=to_date,
            to_number=mapping.number,
            check_amount=mapping.amount_check == "reject" and not discounted,
            paid_date_required=mapping.paid_date_required,
        )
        if mapping.amount_check == "warn":
            self._note_amount_gap(line, line_no)
        return line

    def _customer(self, get: dict[str, str]) -> None:
        """The customer id as customers.yaml knows it, and its currency when it is the
        customer's."""
        from_customer = self.mapping.fields["currency"].from_customer
        if self.customers is None:
            if from_customer:
                raise FieldError("currency", "the currency comes from customers.yaml, not loaded")
            return
        get["customer_id"] = self.customers.match(
            "customer_id", get["customer_id"], get.get("customer_name", "")
        )
        if from_customer:
            get["currency"] = self.customers.currency(get["customer_id"])

    def _from_issue_date(self, get: dict[str, str], row: list[str]) -> dict[str, date]:
        """The fields the mapping derives from the issue date (an invoice number template,
        the billing period as the issue month); the period dates, parsed."""
        fields = self.mapping.fields
        parsed: dict[str, date] = {}
        if not any(s.template or s.issue_month for s in fields.values()):
            return parsed
        issue = self.mapping.date("issue_date", get["issue_date"])
        template = fields["invoice_number"].template
        if template:
            cells = {h: row[self.at[_fold(h)]].strip() for h in fields["invoice_number"].headers()}
            cells.update(
                year=f"{issue.year:04d}", month=f"{issue.month:02d}", customer=get["customer_id"]
            )
            get["invoice_number"] = template.format_map(cells)
        first = issue.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        for period in ("period_start", "period_end"):
            if fields[period].issue_month:
                parsed[period] = first if fields[period].issue_month == "start" else last
                get[period] = parsed[period].isoformat()
        return parsed

    def _status(self, get: dict[str, str], row: list[str]) -> str:
        status = self.mapping.fields["status"]
        if not status.from_dates:
            return self.mapping.word("status", get["status"])
        if status.void and _fold(row[self.at[_fold(status.void)]]) in TRUE:
            return "void"
        if get["paid_date"]:
            return InvoiceStatus.PAID
        if self.mapping.date("due_date", get["due_date"]) < self.today:
            return InvoiceStatus.OVERDUE
        return InvoiceStatus.UNPAID

    def _note_amount_gap(self, line: InvoiceLine, line_no: int) -> None:
        gap = line.amount - line.quantity * line.unit_price
        if abs(gap) > CENT:
            self.notes.append(
                Problem(
                    self.name,
                    line_no,
                    f"amount {line.amount} differs from quantity × unit price "
                    f"({line.quantity} × {line.unit_price}) by {gap}: the invoiced amount "
                    "is the one customers are told",
                    Severity.WARNING,
                    column=self.at[_fold(self.mapping.fields["amount"].headers()[0])] + 1,
                )
            )


def _charge_type(text: str, mapping: Mapping) -> str:
    """The charge type a row's cell names: by the words it contains, or a value word."""
    charge = mapping.fields["charge_type"]
    if not (charge.contains or charge.default):
        return mapping.word("charge_type", text)
    folded = _fold(text)
    found = next((ours for word, ours in charge.contains if word in folded), charge.default)
    if found is None:
        raise FieldError("charge_type", f"no charge type in {text!r}")
    return found


def _one_currency(line: InvoiceLine, line_no: int, seen: dict[str, tuple[str, int]]) -> None:
    """`FieldError` when `line` is in another currency than its invoice's first line."""
    first = seen.get(line.invoice_number)
    if first is None:
        seen[line.invoice_number] = (line.currency, line_no)
    elif first[0] != line.currency:
        raise FieldError(
            "currency",
            f"invoice {line.invoice_number}: currency {line.currency} differs from "
            f"{first[0]} on its line {first[1]}; an invoice is in one currency",
        )


@dataclass
class _Total:
    first_line: int
    customer: str
    lines: Decimal = Decimal(0)
    stated: Decimal | None = None
    failed: bool = False  # a row of it was rejected (and already withholds it)
    conflict: bool = False  # its rows state different totals


def _add_stated(total: _Total, text: str, mapping: Mapping) -> bool:
    """Note the invoice total a row states; False when it is no number or differs from the
    one its invoice's earlier rows stated."""
    if not text:
        return True
    try:
        stated = mapping.number("invoice_total", text)
    except FieldError:
        return False
    if total.stated is None:
        total.stated = stated
    return total.stated == stated


def _discounted(
    line: InvoiceLine, get: dict[str, str], mapping: Mapping
) -> tuple[InvoiceLine, InvoiceLine | None]:
    """`line` at its price before the discount, and the discount as a line of its own (read
    from the same row: its evidence names that row's line; its line key, its place in the
    invoice, is the next one); `FieldError` when the discount percentage does not explain
    the line amount."""
    text = get.get("discount_percent", "").rstrip("%").strip()
    percent = mapping.number("discount_percent", text) if text else Decimal(0)
    if not percent:
        return line, None
    gross = line.quantity * line.unit_price
    if mapping.amount_check == "reject" and abs(line.amount - gross * (1 - percent / 100)) > CENT:
        raise FieldError(
            "amount",
            f"amount {line.amount} is not quantity × unit_price less {percent}% "
            f"({line.quantity} × {line.unit_price} - {percent}%)",
        )
    main = replace(line, amount=gross.quantize(CENT))
    off = line.amount - main.amount
    discount = replace(
        line,
        product=f"Discount {percent.normalize():f}% on {line.product}",
        sku="",
        charge_type="credit",
        quantity=Decimal(1),
        unit_price=off,
        amount=off,
        tax=Decimal(0),
    )
    return main, discount


def _columns(header: list[str], sources: dict[str, Source]) -> dict[str, int]:
    """Where each column the mapping reads is in the header, by folded name (headers are
    compared without case)."""
    folded = [_fold(h) for h in header]
    index: dict[str, int] = {}
    missing: list[str] = []
    for name, source in sources.items():
        for column in source.headers():
            found = [i for i, h in enumerate(folded) if h == _fold(column)]
            if not found:
                missing.append(f"{column!r} ({name})")
            elif len(found) > 1:
                raise FileRejected(1, f"column {column!r} ({name}) is in the header twice")
            else:
                index[_fold(column)] = found[0]
    if missing:
        raise FileRejected(
            1,
            f"the mapping's column(s) {', '.join(missing)} are not in the header; it has: "
            + ", ".join(repr(h) for h in header),
        )
    return index
