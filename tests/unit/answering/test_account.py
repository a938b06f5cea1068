"""The account summary agents see: one balance per currency, never a sum across them."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

from bot.answering.account import account_summary
from bot.knowledge.folder import load_knowledge
from tests.conftest import SAMPLE_KNOWLEDGE

TODAY = date(2026, 11, 24)
USD_INVOICE = (
    "NW-2026-9901,contoso,2026-11-01,2026-11-15,2026-11-01,2026-11-30,Azure plan,"
    "DZH318Z0BPS6:0001,usage,1,250.00,250.00,0.00,USD,unpaid,\n"
)


def test_balances_in_different_currencies_are_never_added(tmp_path: Path) -> None:
    folder = tmp_path / "knowledge"
    shutil.copytree(SAMPLE_KNOWLEDGE, folder)
    with (folder / "invoices.csv").open("a") as invoices:
        invoices.write(USD_INVOICE)
    knowledge = load_knowledge(folder)
    contoso = knowledge.customer("contoso")
    before = account_summary(load_knowledge(SAMPLE_KNOWLEDGE), contoso, TODAY)

    summary = account_summary(knowledge, contoso, TODAY)

    by_currency = {b.currency: b for b in summary.balances}
    assert by_currency["USD"].amount == Decimal("250.00")
    assert by_currency["USD"].invoices == 1
    assert by_currency["EUR"] == next(b for b in before.balances if b.currency == "EUR")
    assert summary.open_invoices == before.open_invoices + 1
    [late] = [o for o in summary.overdue if o.invoice.number == "NW-2026-9901"]
    assert late.days == 9
