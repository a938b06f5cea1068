"""`billing-bot import invoices FILE --mapping MAPPING.yaml`, on SQLite and PostgreSQL: a
partner's export of another shape reads as the folder's own invoices.csv; importing again is
idempotent; a failing row names file:line:column and withholds its invoice; a file that
cannot be read as mapped stores nothing."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import build_assistant
from bot.cli import cli
from bot.config import Settings
from bot.errors import ImportRefused
from bot.invoices.folder import InDatabase
from bot.invoices.importer import import_file
from bot.invoices.lookup import StoredBook
from bot.invoices.mapping import load_mapping
from bot.invoices.store import IMPORT, InvoiceStore
from bot.knowledge.folder import load_knowledge
from bot.knowledge.invoices import COLUMNS
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Message, ReplyKind
from tests.conftest import NOW, ROOT, SAMPLE_KNOWLEDGE

EXAMPLE = ROOT / "docs" / "invoice-export.example.csv"
EXAMPLE_MAPPING = ROOT / "docs" / "invoice-mapping.example.yaml"
CONTOSO_TENANT = "4acb5c8a-11e8-482a-bb39-334f65bb0370"
FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"

# A PSA export unlike the folder's invoices.csv: other names, another column order, a
# Windows code page, decimal commas with thousands points, month/day/year dates, its own
# words for statuses and charge types, no SKU column, the currency in every row.
THEIRS = {
    "customer_id": "Client Code",
    "issue_date": "Invoice Date",
    "invoice_number": "Invoice",
    "product": "Item Description",
    "period_start": "From",
    "period_end": "To",
    "charge_type": "Type",
    "quantity": "Units",
    "unit_price": "Rate",
    "amount": "Line Total (net)",
    "tax": "Sales Tax",
    "due_date": "Due",
    "status": "State",
    "paid_date": "Settled On",
    "currency": "Curr.",
}
STATUS_WORDS = {"paid": "Settled", "unpaid": "Outstanding", "overdue": "Late",
                "disputed": "Contested"}  # fmt: skip
CHARGE_WORDS = {"new": "Initial", "renewal": "Recurring", "cancel": "Refund",
                "prorate": "Pro rata", "usage": "Metered", "credit": "Credit memo"}  # fmt: skip
MAPPING = (
    'csv:\n  delimiter: ";"\n  encoding: cp1252\n  decimal: ","\n  thousands: "."\n'
    '  dates: "%m/%d/%Y"\ncolumns:\n'
    + "".join(f'  {ours}: "{theirs}"\n' for ours, theirs in THEIRS.items())
    + "values:\n  status:\n"
    + "".join(f'    "{theirs}": {ours}\n' for ours, theirs in STATUS_WORDS.items())
    + "  charge_type:\n"
    + "".join(f'    "{theirs}": {ours}\n' for ours, theirs in CHARGE_WORDS.items())
)


def european(text: str) -> str:
    """'4460.40' -> '4.460,40'."""
    value = Decimal(text)
    whole, _, cents = f"{abs(value):,.6f}".rstrip("0").rstrip(".").partition(".")
    sign = "-" if value < 0 else ""
    return sign + whole.replace(",", ".") + ("," + cents if cents else "")


def their_export(native: str) -> bytes:
    """The folder's invoices.csv (its text) rewritten the PSA's way, row for row."""
    order = list(THEIRS)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow([THEIRS[c] for c in order])
    for row in csv.DictReader(io.StringIO(native)):
        cells = []
        for column in order:
            value = row[column]
            if column.endswith("_date") or column.startswith("period_"):
                value = date.fromisoformat(value).strftime("%m/%d/%Y") if value else ""
            elif column in ("quantity", "unit_price", "amount", "tax"):
                value = european(value)
            elif column == "status":
                value = STATUS_WORDS[value].upper()  # their words, in any case
            elif column == "charge_type":
                value = CHARGE_WORDS[value]
            elif column == "product":
                value = value.replace("Support", "Suppört")  # a letter cp1252 has
            cells.append(value)
        writer.writerow(cells)
    return out.getvalue().encode("cp1252")


@pytest.fixture
def empty_folder(tmp_path: Path) -> Path:
    """The sample folder without its invoices: they come from an import."""
    import shutil

    root = shutil.copytree(SAMPLE_KNOWLEDGE, tmp_path / "knowledge")
    (root / "invoices.csv").unlink()
    return root


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_an_export_of_another_shape_reads_as_the_folders_own_invoices(
    store: InvoiceStore, tmp_path: Path, empty_folder: Path
):
    native = (SAMPLE_KNOWLEDGE / "invoices.csv").read_text(encoding="utf-8")
    export = write(tmp_path, "psa-export.csv", their_export(native))
    mapping = load_mapping(write(tmp_path, "mapping.yaml", MAPPING))

    done = import_file(store, export, mapping)

    assert done.problems == () and done.withheld == ()
    expected = load_knowledge(SAMPLE_KNOWLEDGE)
    assert done.lines == sum(len(i.lines) for i in expected.invoices)
    assert done.invoices == len(expected.invoices)
    served = load_knowledge(empty_folder, InDatabase(store))
    for customer in expected.customers:
        for mine, folder_one in zip(served.invoices_of(customer.id),
                                    expected.invoices_of(customer.id), strict=True):  # fmt: skip
            assert (mine.number, mine.total, mine.status, mine.due_date) == (
                folder_one.number,
                folder_one.total,
                folder_one.status,
                folder_one.due_date,
            )
            for line, folder_line in zip(mine.lines, folder_one.lines, strict=True):
                assert line.source == folder_line.source.replace("invoices", "psa-export")
                assert _without_source(line) == _without_source(folder_line, theirs=True)


def _without_source(line, theirs: bool = False) -> dict:
    """A line's fields; `theirs`: as the PSA export has them (its accent, no SKU)."""
    found = {c: getattr(line, c) for c in COLUMNS}
    if theirs:
        found["product"] = found["product"].replace("Support", "Suppört")
        found["sku"] = ""
    return found


def test_the_documented_example_imports_and_the_bot_answers_from_it(
    store: InvoiceStore, settings: Settings, invoice_db_url: str
):
    done = import_file(store, EXAMPLE, load_mapping(EXAMPLE_MAPPING))
    assert (done.lines, done.invoices, done.problems) == (5, 3, ())
    book = StoredBook(store.db)
    (invoice,) = [i for i in book.of("contoso") if i.number == "PSA-2026-10001"]
    assert invoice.issue_date == date(2026, 12, 1) and invoice.total == Decimal("4827.90")
    assert [line.amount for line in invoice.lines] == [Decimal("4460.40"), Decimal("367.50")]
    assert book.owner_of("PSA-2026-10003") == "adatum"

    settings = settings.model_copy(update={"database_url": invoice_db_url})
    assistant = build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)
    reply = assistant.handle(
        Message("What is on invoice PSA-2026-10001?", "teams", "c1", "u1",
                tenant_id=CONTOSO_TENANT)
    )  # fmt: skip
    assert reply.kind is ReplyKind.INVOICE
    assert "4,827.90" in reply.text and "Microsoft Teams Phone Standard" in str(reply.table)


def test_importing_again_is_idempotent_and_a_missing_invoice_is_voided_only_with_full(
    store: InvoiceStore, tmp_path: Path
):
    mapping = load_mapping(EXAMPLE_MAPPING)
    export = write(tmp_path, "export.csv", EXAMPLE.read_bytes())
    first = import_file(store, export, mapping)
    ids = {s.id for s in store.live(IMPORT).values()}

    again = import_file(store, export, mapping)

    assert again.unchanged and not first.unchanged
    assert {s.id for s in store.live(IMPORT).values()} == ids
    book = StoredBook(store.db)
    assert len(book) == 3
    lines = EXAMPLE.read_text().splitlines(keepends=True)
    export.write_text("".join(line for line in lines if "PSA-2026-10003" not in line))
    kept = import_file(store, export, mapping)
    assert kept.counts and kept.counts.totals["kept"] == 1
    assert len(book) == 3 and book.owner_of("PSA-2026-10003") is not None
    import_file(store, export, mapping, full=True)
    assert len(book) == 2 and book.owner_of("PSA-2026-10003") is None
    assert len(store.live(IMPORT)) == 1 and store.live(IMPORT)[export.name].id in ids


def test_a_failing_row_names_file_line_and_column_and_withholds_its_invoice(
    store: InvoiceStore, tmp_path: Path
):
    text = EXAMPLE.read_text().replace(";118;37,80;", ";118;37.80;")  # a point, not a comma
    done = import_file(store, write(tmp_path, "export.csv", text), load_mapping(EXAMPLE_MAPPING))

    (problem,) = done.problems
    assert str(problem) == (
        "export.csv:2:11: unit_price '37.80' is not a number (numbers here are written like "
        "1.234,50) (column 'Unit Price'); invoice PSA-2026-10001 is withheld from customers "
        "until fixed"
    )
    assert done.withheld == ("PSA-2026-10001",)
    book = StoredBook(store.db)
    assert book.owner_of("PSA-2026-10001") is None and book.owner_of("PSA-2026-10002")
    (held,) = book.withheld_of("contoso")
    assert held.number == "PSA-2026-10001" and held.reasons == (problem,)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("Qty;", "Quantity;"), "export.csv:1: the mapping's column(s) 'Qty' (quantity) are "
                                "not in the header"),
        (("contoso;PSA-2026-10001;", "contoso;;"), "2 rows name no invoice number"),
        ((";Recurring;118;", ';Recurring;"118;'), "export.csv:7: cannot be read past this line"),
    ],
    ids=["a mapped column missing", "rows naming no invoice", "unreadable past a line"],
)  # fmt: skip
def test_an_export_that_cannot_be_read_as_mapped_stores_nothing(
    store: InvoiceStore, tmp_path: Path, change: tuple[str, str], expected: str
):
    text = EXAMPLE.read_text().replace(*change) + "x;" * 200_000 + "\n"
    with pytest.raises(ImportRefused, match="nothing was imported") as refused:
        import_file(store, write(tmp_path, "export.csv", text), load_mapping(EXAMPLE_MAPPING))
    assert expected in str(refused.value)
    with store.db.read() as session:
        from sqlalchemy import text as sql

        assert session.execute(sql("SELECT count(*) FROM invoice_sources")).scalar_one() == 0
        assert session.execute(sql("SELECT count(*) FROM invoice_lines")).scalar_one() == 0


def test_the_newest_copy_of_an_invoice_is_served(store: InvoiceStore, tmp_path: Path):
    folder = load_knowledge(SAMPLE_KNOWLEDGE, InDatabase(store))
    assert folder.owner_of("NW-2026-0466") == "fabrikam"
    mapping = load_mapping(EXAMPLE_MAPPING)
    paid = (
        f"{EXAMPLE.read_text().splitlines()[0]}\n"
        "fabrikam;NW-2026-0466;01.10.2026;31.10.2026;X;Settlement;01.10.2026;31.10.2026;"
        "Recurring;1;1.981,98;1.981,98;0,00;EUR;Paid;25.11.2026\n"
    )
    import_file(store, write(tmp_path, "october.csv", paid), mapping)

    (invoice,) = [i for i in StoredBook(store.db).of("fabrikam") if i.number == "NW-2026-0466"]
    assert invoice.status == "paid" and [line.source for line in invoice.lines] == ["october.csv:2"]
    # A later export naming it again wins over the earlier one.
    import_file(store, write(tmp_path, "later.csv", paid.replace(";Paid;", ";In Dispute;")),
                mapping)  # fmt: skip
    (invoice,) = [i for i in StoredBook(store.db).of("fabrikam") if i.number == "NW-2026-0466"]
    assert invoice.status == "disputed"
    # The knowledge folder, loaded again, does not take it back.
    again = load_knowledge(SAMPLE_KNOWLEDGE, InDatabase(store))
    (invoice,) = [i for i in again.invoices_of("fabrikam") if i.number == "NW-2026-0466"]
    assert invoice.status == "disputed"


def test_the_command_reports_rows_and_is_idempotent(
    invoice_db_url: str, tmp_path: Path, store: InvoiceStore
):
    runner = CliRunner()
    env = {"DATABASE_URL": invoice_db_url, "DATA_DIR": str(tmp_path / "state")}
    args = ["import", "invoices", str(EXAMPLE), "--mapping", str(EXAMPLE_MAPPING)]

    first = runner.invoke(cli, args, env=env)
    again = runner.invoke(cli, args, env=env)
    broken = write(tmp_path, "broken.csv", EXAMPLE.read_text().replace(";35;", ";x;"))
    failed = runner.invoke(cli, ["import", "invoices", str(broken), "--mapping",
                                 str(EXAMPLE_MAPPING)], env=env)  # fmt: skip
    refused = runner.invoke(cli, ["import", "invoices", str(broken), "--mapping",
                                  str(EXAMPLE)], env=env)  # fmt: skip

    assert first.exit_code == 0, first.output
    assert "5 lines of 3 invoices imported" in first.output
    assert again.exit_code == 0 and "already imported with this content" in again.output
    assert failed.exit_code == 1
    assert "broken.csv:3:10: quantity 'x' is not a number (column 'Qty')" in failed.output
    assert "1 invoice withheld from customers" in failed.output
    assert refused.exit_code == 1 and "Error: " in refused.output
