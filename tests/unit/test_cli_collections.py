"""`billing-bot collections preview`, `check` on the new keys, and agents' questions across
customers, on the sample folder (hashing twin embedder, a throwaway database)."""

import json
import shutil

from click.testing import CliRunner

from bot.app import build_assistant
from bot.cli import cli
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Message, Role
from tests.conftest import NOW, SAMPLE_KNOWLEDGE, complete_folder


def test_preview_lists_fabrikams_reminder_and_nothing_for_the_disputed_invoice(
    settings, monkeypatch
):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    result = CliRunner().invoke(cli, ["collections", "preview", "--date", "2026-12-09"])
    assert result.exit_code == 0, result.output
    due, _, skipped = result.output.partition("skipped:")
    line = next(x for x in due.splitlines() if "NW-2026-0510" in x)
    assert "fabrikam" in line and "reminder+7" in line and " 7 " in line
    assert "NW-2026-0477" not in due
    assert "NW-2026-0477" in skipped and "disputed" in skipped

    report = json.loads(
        CliRunner().invoke(cli, ["collections", "preview", "--date", "2026-12-09", "--json"]).output
    )
    sent = {e["invoice"]: e for e in report["send"]}
    assert sent["NW-2026-0510"]["days_overdue"] == 7
    assert sent["NW-2026-0510"]["step"] == "reminder+7"
    assert {e["invoice"]: e["outcome"] for e in report["skipped"]}["NW-2026-0477"] == "disputed"
    # Nobody has talked to the bot in this database: every message goes to the agents.
    assert report["reachability_known"] and sent["NW-2026-0510"]["outcome"] == "unreachable"


def test_check_reports_bad_collections_keys_with_their_line(tmp_path):
    folder = complete_folder(tmp_path / "k")
    partner = (SAMPLE_KNOWLEDGE / "partner.yaml").read_text(encoding="utf-8")
    (folder / "partner.yaml").write_text(
        partner.replace("collections:\n", "collections:\n  before_due_days: soon\n"),
        encoding="utf-8",
    )
    customers = (folder / "customers.yaml").read_text(encoding="utf-8")
    (folder / "customers.yaml").write_text(
        customers.replace("  - id: adatum\n", "  - id: adatum\n    reminders: maybe\n"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 1
    lines = partner.splitlines()
    at = lines.index("collections:") + 2  # the mapping's first line: the new key's own
    assert f"partner.yaml:{at}: collections: before_due_days: 'soon'" in result.output
    adatum = customers.splitlines().index("  - id: adatum") + 1  # the record's first line
    assert f"customers.yaml:{adatum}: adatum: reminders must be true or false" in result.output


def test_a_valid_courtesy_notice_and_a_paused_customer_pass_check(tmp_path):
    folder = complete_folder(tmp_path / "k")
    shutil.copytree(SAMPLE_KNOWLEDGE / "articles", folder / "articles")
    partner = (folder / "partner.yaml").read_text(encoding="utf-8")
    (folder / "partner.yaml").write_text(
        partner.replace("collections:\n", "collections:\n  before_due_days: 5\n"), encoding="utf-8"
    )
    customers = (folder / "customers.yaml").read_text(encoding="utf-8")
    (folder / "customers.yaml").write_text(
        customers.replace("  - id: adatum\n", "  - id: adatum\n    reminders: false\n"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 0, result.output


def test_agents_ask_across_customers(settings):
    assistant = build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)

    def ask(text: str, conversation: str = "t1"):
        return assistant.handle(
            Message(text, channel="slack", conversation=conversation, role=Role.AGENT)
        )

    overdue = ask("which customers are overdue?")
    assert overdue.table is not None
    assert any("fabrikam" in row[0] for row in overdue.table.rows)
    assert not any("NW-2026-0477" in row[1] for row in overdue.table.rows)  # disputed
    spanish = ask("qué clientes tienen facturas vencidas", "t2")
    assert spanish.table is not None and any("fabrikam" in r[0] for r in spanish.table.rows)
    # NOW is 24 Nov 2026: the November invoices fall due next week (2 Dec).
    soon = ask("who has invoices due next week?", "t3")
    assert soon.table is not None
    assert {"NW-2026-0510", "NW-2026-0477"} - {r[1] for r in soon.table.rows} == {"NW-2026-0477"}
    owes = ask("what does fabrikam owe", "t4")
    assert owes.table is not None and "NW-2026-0510" in {r[0] for r in owes.table.rows}


def test_agents_ask_when_a_customer_was_last_reminded(settings):
    from datetime import date

    from bot.collections.run import Reminders

    assistant = build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)

    def ask(text: str, conversation: str):
        return assistant.handle(
            Message(text, channel="slack", conversation=conversation, role=Role.AGENT)
        )

    never = ask("when was fabrikam last reminded?", "r1")
    assert never.text.startswith("Fabrikam") and "has not been sent any payment reminder" in (
        never.text
    )
    assert never.table is None
    storage = assistant.storage
    reference = {"serviceUrl": "https://connector.example/", "conversation": {"id": "conv-fab"}}
    storage.conversations.remember("teams", "conv-fab", reference, "fabrikam")
    result = Reminders(storage, lambda: assistant.knowledge, by="test").run(date(2026, 12, 9))
    assert "NW-2026-0510" in {q.entry.invoice for q in result.queued}
    reminded = ask("when was fabrikam last reminded?", "r2")
    assert "was last reminded on" in reminded.text and "NW-2026-0510" in reminded.text
    assert reminded.table is not None
    assert "NW-2026-0510" in {row[1] for row in reminded.table.rows}
    spanish = ask("¿cuándo se le recordó a fabrikam?", "r3")
    assert "NW-2026-0510" in spanish.text and spanish.table is not None  # the desk's language
    nobody = ask("when was the customer last reminded?", "r4")
    assert nobody.text.startswith("Which customer is this about?")
