"""Platform presets (Pax8, Xero, Autotask) on their fixture exports, on SQLite and
PostgreSQL: imported, tolerated where the platform is right, refused where a customer would
be misled."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bot.errors import ImportRefused
from bot.invoices.customers import load_matcher
from bot.invoices.importer import import_file
from bot.invoices.mapping import load_mapping, load_preset
from bot.invoices.store import InvoiceStore
from tests.conftest import ROOT, SAMPLE_KNOWLEDGE

EXPORTS = ROOT / "tests" / "fixtures" / "exports"
TODAY = date(2026, 12, 7)


def _import(store: InvoiceStore, path: Path, preset: str):  # type: ignore[no-untyped-def]
    return import_file(
        store, path, load_preset(preset), customers=load_matcher(SAMPLE_KNOWLEDGE), today=TODAY
    )


@pytest.mark.parametrize("preset", ["pax8", "xero", "autotask"])
def test_each_preset_imports_its_fixture_and_again_changes_nothing(
    store: InvoiceStore, preset: str
) -> None:
    done = _import(store, EXPORTS / f"{preset}.csv", preset)
    assert done.problems == () and done.lines > 40
    assert _import(store, EXPORTS / f"{preset}.csv", preset).unchanged


def test_pax8_fees_are_warnings_and_the_invoiced_amount_is_kept(store: InvoiceStore) -> None:
    done = _import(store, EXPORTS / "pax8.csv", "pax8")
    assert any("by 1.50" in w.message for w in done.warnings)


def test_void_rows_are_skipped_with_a_warning(store: InvoiceStore) -> None:
    done = _import(store, EXPORTS / "xero.csv", "xero")
    assert any("INV-2026-0902 is void" in w.message for w in done.warnings)


def _xero(tmp_path: Path, **change: str) -> Path:
    text = (EXPORTS / "xero.csv").read_text(encoding="utf-8")
    for old, new in change.items():
        text = text.replace(old, new, 1 if "," not in old[:1] else -1)
    path = tmp_path / "xero.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_an_unknown_customer_is_refused_with_the_closest_names(
    store: InvoiceStore, tmp_path: Path
) -> None:
    done = _import(store, _xero(tmp_path, **{"Contoso Ltd,": "Contosso Limited,"}), "xero")
    assert "closest: 'Contoso Ltd'" in done.problems[0].message
    assert str(done.problems[0]).startswith("xero.csv:2:1:")


def test_a_customer_is_matched_without_case_or_accents(store: InvoiceStore, tmp_path: Path) -> None:
    done = _import(store, _xero(tmp_path, **{"Contoso Ltd,": "CONTÓSO LTD.,"}), "xero")
    assert done.problems == ()


def test_lines_not_adding_up_to_the_stated_total_are_refused(
    store: InvoiceStore, tmp_path: Path
) -> None:
    done = _import(store, _xero(tmp_path, **{",5383.50,": ",5383.60,"}), "xero")
    assert "stated total is 5383.60" in done.problems[0].message


def test_an_impossible_date_is_refused(store: InvoiceStore, tmp_path: Path) -> None:
    done = _import(store, _xero(tmp_path, **{"01/10/2026": "31/02/2026"}), "xero")
    assert "is not a date" in done.problems[0].message


def test_a_partner_center_reconciliation_file_is_refused(
    store: InvoiceStore, tmp_path: Path
) -> None:
    path = tmp_path / "recon.csv"
    path.write_text(
        "PartnerId,CustomerId,CustomerName,MpnId,InvoiceNumber,UnitPrice,Quantity,Subtotal,"
        "TaxTotal,Total,Currency,ChargeStartDate,ChargeEndDate\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRefused, match="Partner Center reconciliation file"):
        _import(store, path, "xero")


def test_a_cost_column_mapped_to_a_customer_field_is_refused(tmp_path: Path) -> None:
    text = (ROOT / "bot" / "invoices" / "presets" / "pax8.yaml").read_text(encoding="utf-8")
    path = tmp_path / "m.yaml"
    path.write_text(text.replace("unit_price: price", "unit_price: cost"), encoding="utf-8")
    with pytest.raises(ImportRefused, match="partner's cost"):
        load_mapping(path)


def test_the_later_export_marks_the_invoice_paid(store: InvoiceStore) -> None:
    from bot.invoices.lookup import StoredBook

    _import(store, EXPORTS / "autotask.csv", "autotask")
    _import(store, EXPORTS / "autotask-later.csv", "autotask")
    book = StoredBook(store.db)
    invoice = next(i for i in book.of("fabrikam") if i.number == "NW-2026-0466")
    assert invoice.status == "paid" and invoice.paid_date == date(2026, 12, 4)


def test_a_currency_that_differs_within_one_invoice_is_refused_at_its_cell(
    store: InvoiceStore, tmp_path: Path
) -> None:
    lines = (EXPORTS / "xero.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(",EUR,ACCREC,", ",USD,ACCREC,")  # NW-2026-0463's 2nd line
    path = tmp_path / "xero.csv"
    path.write_text("".join(lines), encoding="utf-8")

    done = _import(store, path, "xero")

    (problem,) = done.problems
    assert str(problem).startswith("xero.csv:3:26: invoice NW-2026-0463: currency USD differs")
    assert "from EUR on its line 2" in problem.message and done.withheld == ("NW-2026-0463",)


def test_a_discount_line_names_the_row_it_was_read_from(store: InvoiceStore) -> None:
    from bot.invoices.lookup import StoredBook

    _import(store, EXPORTS / "xero.csv", "xero")
    (invoice,) = [i for i in StoredBook(store.db).of("contoso") if i.number == "INV-2026-0901"]
    rows = (EXPORTS / "xero.csv").read_text(encoding="utf-8").splitlines()
    row = next(n for n, line in enumerate(rows, 1) if "INV-2026-0901" in line)
    assert [(line.product, line.amount, line.source) for line in invoice.lines] == [
        ("Northwind Onboarding", Decimal("200.00"), f"xero.csv:{row}"),
        ("Discount 10% on Northwind Onboarding", Decimal("-20.00"), f"xero.csv:{row}"),
    ]
    assert invoice.total == Decimal("180.00")  # and "1E+1%" is written 10%


def test_a_pax8_invoice_number_from_its_template_is_stable_across_imports(
    store: InvoiceStore, tmp_path: Path
) -> None:
    first = _import(store, EXPORTS / "pax8.csv", "pax8")
    # The same rows with other line endings: another file hash, so the rows are compared.
    same = tmp_path / "pax8.csv"
    same.write_text((EXPORTS / "pax8.csv").read_text(encoding="utf-8"), encoding="utf-8")
    assert same.read_bytes() != (EXPORTS / "pax8.csv").read_bytes()

    again = _import(store, same, "pax8")

    assert first.counts and first.counts.totals["new"] == 12
    assert not again.unchanged and again.counts is not None
    assert again.counts.written == 0 and again.counts.totals["unchanged"] == 12
    assert again.counts.totals["new"] == again.counts.totals["changed"] == 0
