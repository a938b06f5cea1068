"""A customer whose invoices were refused (an invoice file refused or missing, or every one of
their invoices withheld) hears that they can't be shown right now, never "no invoices"."""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import Assistant, build_assistant
from bot.config import Settings
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Message, Reply, ReplyKind
from tests.conftest import NOW, SAMPLE_KNOWLEDGE

FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"
COHO_TENANT = "5f7a55ab-5a44-4eec-bd45-a7f4294bc649"
CANNOT_SHOW_EN = "I can't show your invoices right now; our billing team has been told."
CANNOT_SHOW_ES = (
    "No puedo mostrar sus facturas en este momento; ya hemos avisado a nuestro equipo de "
    "facturación."
)
# (tenant, question, sentence): an English customer and a Spanish one.
ASKED = [
    pytest.param(FABRIKAM_TENANT, "How much do we owe?", CANNOT_SHOW_EN, id="en-balance"),
    pytest.param(FABRIKAM_TENANT, "Show me my recent invoices", CANNOT_SHOW_EN, id="en-recent"),
    pytest.param(COHO_TENANT, "¿Cuánto debemos?", CANNOT_SHOW_ES, id="es-balance"),
    pytest.param(COHO_TENANT, "¿Cuándo vence mi factura?", CANNOT_SHOW_ES, id="es-due"),
]


def stray_quote(root: Path) -> None:
    """A quote opened in the middle of the file and never closed."""
    lines = (root / "invoices.csv").read_text().splitlines(keepends=True)
    lines[len(lines) // 2] = lines[len(lines) // 2].replace(",", ',"', 1)
    (root / "invoices.csv").write_text("".join(lines))


def missing(root: Path) -> None:
    (root / "invoices.csv").unlink()


def every_line_invalid(root: Path, customers: tuple[str, ...] = ("fabrikam", "coho")) -> None:
    """Every invoice line of `customers` with an amount of NaN: all their invoices withheld."""
    out = []
    for line in (root / "invoices.csv").read_text().splitlines(keepends=True):
        row = next(csv.reader([line]))
        if row[1] in customers:
            row[11] = "NaN"  # amount
            buffer = io.StringIO()
            csv.writer(buffer, lineterminator="\n").writerow(row)
            line = buffer.getvalue()
        out.append(line)
    (root / "invoices.csv").write_text("".join(out))


def assistant_on(settings: Settings, tmp_path: Path, breaks: Callable[[Path], None]) -> Assistant:
    root = shutil.copytree(SAMPLE_KNOWLEDGE, tmp_path / "knowledge")
    breaks(root)
    settings = settings.model_copy(update={"knowledge_dir": root})
    return build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)


def ask(assistant: Assistant, text: str, tenant: str) -> Reply:
    return assistant.handle(
        Message(text, channel="teams", conversation="c1", user_id="u1", tenant_id=tenant)
    )


@pytest.mark.parametrize("breaks", [stray_quote, missing])
@pytest.mark.parametrize(("tenant", "question", "sentence"), ASKED)
def test_a_refused_invoice_file_means_no_invoice_is_told(
    settings: Settings,
    tmp_path: Path,
    breaks: Callable[[Path], None],
    tenant: str,
    question: str,
    sentence: str,
):
    assistant = assistant_on(settings, tmp_path, breaks)
    assert assistant.knowledge.invoices_refused
    reply = ask(assistant, question, tenant)
    assert reply.kind is ReplyKind.INVOICE
    assert reply.text == sentence and reply.table is None
    # The agents see why, beside the answer.
    assert any(e.startswith("invoices.csv:") and "can't be shown" in e for e in reply.evidence)


@pytest.mark.parametrize(("tenant", "question", "sentence"), ASKED)
def test_a_customer_whose_every_invoice_is_withheld_is_not_told_there_are_none(
    settings: Settings, tmp_path: Path, tenant: str, question: str, sentence: str
):
    assistant = assistant_on(settings, tmp_path, every_line_invalid)
    assert not assistant.knowledge.invoices_refused
    reply = ask(assistant, question, tenant)
    assert reply.kind is ReplyKind.INVOICE
    assert reply.text == sentence and reply.table is None
    assert any("withheld from the customer: " in e for e in reply.evidence)


def test_customers_with_complete_invoices_are_answered_as_before(
    settings: Settings, tmp_path: Path
):
    assistant = assistant_on(settings, tmp_path, lambda root: every_line_invalid(root, ("coho",)))
    reply = ask(assistant, "How much do we owe?", FABRIKAM_TENANT)
    assert reply.text.startswith("Your outstanding balance")
