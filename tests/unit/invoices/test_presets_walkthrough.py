"""Issue 19's walk-through, through the real CLI, for each preset (and a `--mapping` of a
European export), on SQLite and PostgreSQL: a partner that bills from its platform imports
its export, and `ask` answers a customer from the imported lines; the same file again writes
nothing; the "later" export marks the paid invoice paid and the bot says so; a Partner
Center reconciliation file is refused with its reason.

The partner's knowledge folder has no invoices.csv: its invoices come from the platform
(README: "a folder whose invoices come from `billing-bot import invoices` needs no invoice
file"). An invoice is known by its number: Pax8 exports carry none, so its invoices get
`PX8-<year>-<month>-<customer>` numbers, and a copy of the same bills kept in invoices.csv
under other numbers would be told as well: a partner importing from Pax8 keeps no copy of
those invoices in the folder (README, Presets)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.app import build_assistant
from bot.config import Settings
from bot.invoices.customers import load_matcher
from bot.invoices.importer import import_file
from bot.invoices.mapping import load_preset
from bot.invoices.store import InvoiceStore
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Message, ReplyKind
from tests.conftest import NOW, ROOT, SAMPLE_KNOWLEDGE

EXPORTS = ROOT / "tests" / "fixtures" / "exports"
CONTOSO_TENANT = "4acb5c8a-11e8-482a-bb39-334f65bb0370"
# How each export is read, and fabrikam's two open invoices in it (October's is paid in the
# "later" export): Pax8's carry its fees (1.50 on every third row).
CASES = {
    "pax8": (["--preset", "pax8"], "PX8-2026-10-fabrikam", "PX8-2026-11-fabrikam", "1,983.48"),
    "xero": (["--preset", "xero"], "NW-2026-0466", "NW-2026-0510", "1,981.98"),
    "autotask": (["--preset", "autotask"], "NW-2026-0466", "NW-2026-0510", "1,981.98"),
    "psa-eu": (["--mapping", str(EXPORTS / "psa-eu.yaml")], "NW-2026-0466", "NW-2026-0510",
               "1,981.98"),
}  # fmt: skip
RECONCILIATION = (
    "PartnerId,CustomerId,CustomerName,MpnId,InvoiceNumber,ChargeStartDate,ChargeEndDate,"
    "UnitPrice,Quantity,Subtotal,TaxTotal,Total,Currency\n"
    "4f1c,c-1,Fabrikam Nederland B.V.,123,G000123,10/01/2026,10/31/2026,20.00,60,1200.00,"
    "0,1200.00,EUR\n"
)


@pytest.fixture
def env(invoice_db_url: str, tmp_path: Path) -> dict[str, str]:
    folder = shutil.copytree(SAMPLE_KNOWLEDGE, tmp_path / "knowledge")
    (folder / "invoices.csv").unlink()  # the partner's invoices come from its platform
    return {"DATABASE_URL": invoice_db_url, "DATA_DIR": str(tmp_path / "state"),
            "KNOWLEDGE_DIR": str(folder), "EMBEDDING_MODEL": "hashing"}  # fmt: skip


def _run(env: dict[str, str], *args: str) -> Result:
    from bot.cli import cli

    return CliRunner().invoke(cli, list(args), env=env)


def _ask(env: dict[str, str], question: str) -> dict[str, object]:
    done = _run(env, "ask", "--customer", "fabrikam", "--json", question)
    assert done.exit_code == 0, done.output
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


@pytest.mark.parametrize("export", list(CASES))
def test_import_ask_reimport_later_and_a_reconciliation_file(
    env: dict[str, str], export: str, tmp_path: Path
) -> None:
    how, october, november, each = CASES[export]

    def load(name: str, *more: str) -> Result:
        return _run(env, "import", "invoices", str(name), *how, "--source", export, *more)

    first = load(str(EXPORTS / f"{export}.csv"))
    assert first.exit_code == 0, first.output
    assert " 0 rows failed" in first.output and " new, 0 changed," in first.output

    owed = _ask(env, "how much do i owe")
    assert owed["kind"] == "invoice"
    assert [row[0] for row in owed["table"]["rows"]] == [october, november]  # type: ignore[index]
    total = f"{2 * float(each.replace(',', '')):,.2f}"
    assert f"Your outstanding balance is EUR {total} across 2 open invoices" in str(owed["text"])

    same = load(str(EXPORTS / f"{export}.csv"))
    assert same.exit_code == 0 and "already imported with this content" in same.output
    compared = load(str(EXPORTS / f"{export}.csv"), "--full")  # compared row by row
    assert compared.exit_code == 0, compared.output
    assert "invoices: 0 new, 0 changed, 1" in compared.output  # 12 (13 in Xero's) unchanged
    assert " unchanged, 0 voided" in compared.output
    assert "; 0 lines written" in compared.output

    later = load(str(EXPORTS / f"{export}-later.csv"))
    assert later.exit_code == 0, later.output
    assert "invoices: 0 new, 2 changed, " in later.output  # paid since, a corrected line
    owed = _ask(env, "how much do i owe")
    assert f"Your outstanding balance is EUR {each} across 1 open invoice" in str(owed["text"])
    assert [row[0] for row in owed["table"]["rows"]] == [november]  # type: ignore[index]
    paid = _ask(env, "did you receive my payment for the october invoice?")
    assert f"Invoice {october} (EUR {each}, issued 1 October 2026) was paid" in str(paid["text"])

    recon = tmp_path / "Reconciliation_G000123.csv"
    recon.write_text(RECONCILIATION, encoding="utf-8")
    refused = load(str(recon))
    assert refused.exit_code == 1
    assert "this is a Partner Center reconciliation file: what Microsoft bills the partner" in (
        refused.output
    )
    assert "nothing was imported" in refused.output
    history = _run(env, "import", "history", "--json")
    assert [json.loads(line)["file_name"] for line in history.output.splitlines()] == [
        f"{export}-later.csv", f"{export}.csv", f"{export}.csv", f"{export}.csv"
    ]  # fmt: skip


def test_the_xero_discount_is_its_own_line_in_the_customers_answer(
    store: InvoiceStore, settings: Settings, invoice_db_url: str
) -> None:
    import_file(store, EXPORTS / "xero.csv", load_preset("xero"),
                customers=load_matcher(SAMPLE_KNOWLEDGE))  # fmt: skip
    settings = settings.model_copy(update={"database_url": invoice_db_url})
    assistant = build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)

    reply = assistant.handle(
        Message("What is on invoice INV-2026-0901?", "teams", "c1", "u1",
                tenant_id=CONTOSO_TENANT)
    )  # fmt: skip

    assert reply.kind is ReplyKind.INVOICE
    assert "180.00" in reply.text
    shown = str(reply.table)
    assert "Northwind Onboarding" in shown and "Discount 10% on Northwind Onboarding" in shown
    assert "-20.00" in shown
