"""MAPPING.yaml: numbers, dates and words written the export's way are read exactly, and
anything else is refused with where it is (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.errors import ImportRefused
from bot.invoices.mapping import Mapping, Source, load_mapping, read_mapped
from bot.knowledge.invoices import COLUMNS, FieldError, InvoiceLine, RejectedLine
from bot.knowledge.problems import FileRejected
from tests.conftest import ROOT

EXAMPLE_MAPPING = ROOT / "docs" / "invoice-mapping.example.yaml"


def mapping(**settings: str) -> Mapping:
    return Mapping({c: Source(column=c) for c in COLUMNS}, **settings)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("settings", "written", "value"),
    [
        ({}, "1234.50", "1234.50"),
        ({"thousands": ","}, "1,234.50", "1234.50"),
        ({"decimal": ",", "thousands": "."}, "1.234,50", "1234.50"),
        ({"decimal": ",", "thousands": "."}, "-1.234.567,5", "-1234567.5"),
        ({"decimal": ","}, "37,80", "37.80"),
        ({"decimal": ",", "thousands": " "}, "12\u00a0345,67", "12345.67"),
        ({"decimal": ",", "thousands": " "}, "12\u202f345,67", "12345.67"),
        ({"thousands": "'"}, "1'234.5", "1234.5"),
    ],
)
def test_numbers_are_read_in_the_exports_convention(settings, written, value):
    assert mapping(**settings).number("amount", written) == Decimal(value)


@pytest.mark.parametrize(
    ("settings", "written"),
    [
        ({"decimal": ",", "thousands": "."}, "1.5"),  # a point decimal, not a thousand
        ({"decimal": ",", "thousands": "."}, "37.80"),
        ({"decimal": ","}, "1.5"),
        ({"thousands": ","}, "1,5"),
        ({"thousands": ","}, "12,34,567"),
        ({}, "1 234"),
        ({}, "EUR 12"),
        ({}, "NaN"),
        ({}, "1e400"),
    ],
)
def test_a_number_in_another_convention_is_refused_not_guessed(settings, written):
    with pytest.raises(FieldError) as refused:
        mapping(**settings).number("amount", written)
    assert refused.value.field == "amount" and repr(written) in str(refused.value)


def test_dates_and_words_are_read_the_exports_way():
    found = load_mapping(EXAMPLE_MAPPING)
    assert found.date("issue_date", "31.12.2026") == date(2026, 12, 31)
    with pytest.raises(FieldError, match=r"issue_date '2026-12-31' is not a date \(%d.%m.%Y\)"):
        found.date("issue_date", "2026-12-31")
    assert found.word("status", "past due") == "overdue"
    assert found.word("status", " PAST   DUE ") == "overdue"
    assert found.word("status", "Unpaid") == "unpaid"  # our own words need no mapping
    with pytest.raises(FieldError, match="map it under values: status:"):
        found.word("status", "Bezahlt")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns:\n  invoice_number: No\n", "mapping.yaml:2: columns: needs customer_id"),
        ("csv: {decimal: ';'}\ncolumns: {}\n", "mapping.yaml:1: csv: decimal must be one of"),
        ("csv:\n  delimeter: ';'\ncolumns: {}\n", "mapping.yaml:2: unknown key(s) delimeter"),
        ("csv:\n  dates: 'DD.MM.YYYY'\ncolumns: {}\n", "csv: dates 'DD.MM.YYYY' does not read"),
        ("csv:\n  encoding: klingon\ncolumns: {}\n", "'klingon' is not a known encoding"),
        ("csv: {decimal: ',', thousands: ','}\ncolumns: {}\n", "thousands and decimal must"),
        ("columns: [a, b]\n", "'columns:' must be a mapping"),
        ("csv: {}\n", "'columns:' is missing"),
        ("columns: {a: b\n", "mapping.yaml:2: invalid YAML"),
    ],
)
def test_a_mapping_that_cannot_be_used_says_where(tmp_path: Path, text: str, message: str):
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    with pytest.raises(ImportRefused) as refused:
        load_mapping(path)
    assert message in str(refused.value).replace(str(tmp_path) + "/", "")


def test_values_must_map_to_our_words(tmp_path: Path):
    text = EXAMPLE_MAPPING.read_text().replace("Paid: paid", "Paid: settled")
    (tmp_path / "m.yaml").write_text(text)
    with pytest.raises(ImportRefused, match="'Paid' maps to 'settled', not one of paid, unpaid"):
        load_mapping(tmp_path / "m.yaml")


def test_only_the_optional_fields_may_be_left_out():
    found = load_mapping(EXAMPLE_MAPPING)
    assert {name for name, s in found.fields.items() if s.column is None} == set()
    lines = [
        "Account;Invoice #;Invoice Date;Payment Due;Description;Service From;Service To;"
        "Billing Type;Qty;Unit Price;Net Amount;Currency;Invoice Status\n",
        "acme;NW-2026-0001;01.12.2026;31.12.2026;M365;01.12.2026;31.12.2026;Recurring;2;"
        "10,00;20,00;EUR;Open\n",
    ]
    trimmed = Mapping(
        {**found.fields, "sku": Source(value=""), "tax": Source(value="0"),
         "paid_date": Source(value="")},
        delimiter=";", decimal=",", thousands=".", dates="%d.%m.%Y", values=found.values,
    )  # fmt: skip
    (line,) = read_mapped("x.csv", lines, trimmed)
    assert isinstance(line, InvoiceLine)
    assert (line.sku, line.tax, line.paid_date, line.status) == ("", Decimal(0), None, "unpaid")


def test_rows_are_read_in_file_order_with_their_line_and_column():
    found = load_mapping(EXAMPLE_MAPPING)
    text = (ROOT / "docs" / "invoice-export.example.csv").read_text()
    rows = text.replace(";Open;\n", ";Owed;\n", 1).splitlines(keepends=True)
    read = list(read_mapped("export.csv", rows, found))
    assert [type(r).__name__ for r in read] == ["RejectedLine"] + ["InvoiceLine"] * 4
    rejected = read[0]
    assert isinstance(rejected, RejectedLine)
    assert (rejected.problem.line, rejected.problem.column) == (2, 15)
    assert rejected.invoice_number == "PSA-2026-10001" and rejected.customer_id == "contoso"
    with pytest.raises(FileRejected, match="'Qty' \\(quantity\\) is in the header twice"):
        list(read_mapped("export.csv", [rows[0].replace("VAT", "Qty"), rows[1]], found))
