"""Incomplete data is never told as fact: an invoice with a rejected line is withheld from
the customer as a whole, totals that would include it say so, and agents see why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from adapters.slack.desk import Desk
from bot.app import Assistant, build_assistant
from bot.config import Settings
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Message, ReplyKind
from tests.conftest import NOW, SAMPLE_KNOWLEDGE

FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"
CONTOSO_TENANT = "4acb5c8a-11e8-482a-bb39-334f65bb0370"
CANNOT_SHOW = "I can't show invoice NW-2026-0466 right now; our billing team has been told."


@pytest.fixture
def broken_line(tmp_path: Path) -> int:
    """The sample folder with one line of fabrikam's overdue invoice NW-2026-0466 broken (an
    amount of NaN); returns that line's number."""
    root = shutil.copytree(SAMPLE_KNOWLEDGE, tmp_path / "knowledge")
    lines = (root / "invoices.csv").read_text().splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith("NW-2026-0466,"))
    lines[index] = lines[index].replace(",1386.00,", ",NaN,")
    (root / "invoices.csv").write_text("".join(lines))
    return index + 1


@pytest.fixture
def assistant(settings: Settings, tmp_path: Path, broken_line: int) -> Assistant:
    settings = settings.model_copy(update={"knowledge_dir": tmp_path / "knowledge"})
    return build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)


def ask(assistant: Assistant, text: str, tenant: str = FABRIKAM_TENANT):
    return assistant.handle(
        Message(text, channel="teams", conversation="c1", user_id="u1", tenant_id=tenant)
    )


def test_the_withheld_invoice_itself_is_not_shown_in_part(assistant: Assistant):
    reply = ask(assistant, "Show me invoice NW-2026-0466")
    assert reply.kind is ReplyKind.INVOICE
    assert reply.text == CANNOT_SHOW and reply.table is None


@pytest.mark.parametrize(
    "question", ["How much do we owe?", "When is my invoice due?", "Are we overdue?"]
)
def test_totals_say_which_invoice_they_leave_out(assistant: Assistant, question: str):
    reply = ask(assistant, question)
    assert reply.text.startswith(CANNOT_SHOW + " Leaving it out, here is what I can tell you:")
    assert "3,963.96" not in reply.text  # the complete balance, 0466 included, is unknown
    assert all("NW-2026-0466" not in row[0] for row in (reply.table.rows if reply.table else ()))


def test_the_agents_see_the_rejected_line_beside_the_answer(assistant, broken_line: int):
    reply = ask(assistant, "How much do we owe?")
    assert any(
        e.startswith(f"invoices.csv:{broken_line}: NW-2026-0466 withheld from the customer:")
        and "not a finite number" in e
        for e in reply.evidence
    )


def test_another_customer_cannot_learn_that_the_invoice_exists(assistant: Assistant):
    reply = ask(assistant, "Show me invoice NW-2026-0466", tenant=CONTOSO_TENANT)
    assert reply.text.startswith("I can't find invoice NW-2026-0466")


def test_other_customers_answers_are_unchanged(assistant: Assistant):
    reply = ask(assistant, "How much do we owe?", tenant=CONTOSO_TENANT)
    assert "right now" not in reply.text and reply.text.startswith("Your outstanding balance")


def test_an_escalation_carries_the_withheld_line_to_the_agents(assistant, broken_line: int):
    reply = ask(assistant, "I want to dispute invoice NW-2026-0466")
    assert reply.kind is ReplyKind.ESCALATE
    ticket = assistant.tickets.get(reply.ticket.number)
    assert any(
        e.startswith(f"invoices.csv:{broken_line}: NW-2026-0466 withheld") for e in ticket.evidence
    )


def test_the_agents_customer_lookup_flags_the_withheld_invoice(assistant, broken_line: int):
    storage = assistant.storage
    (block,) = Desk(assistant, storage).customer("fabrikam")
    text = block["text"]["text"]
    assert "*Withheld from the customer*" in text
    assert f"invoices.csv:{broken_line}: NW-2026-0466 withheld from the customer" in text
