"""`billing-bot check` validates invoice files as they stream by, keeping no lines: what it
prints for a folder is what loading the folder (into memory or the database) finds."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import cli
from bot.invoices.book import InMemory
from bot.invoices.folder import InDatabase
from bot.knowledge.folder import load_knowledge
from bot.knowledge.report import counts
from tests.conftest import SAMPLE_KNOWLEDGE


def test_check_prints_for_the_sample_folder_what_every_loader_finds(store):
    result = CliRunner().invoke(cli, ["check", str(SAMPLE_KNOWLEDGE)])

    assert result.exit_code == 0
    assert result.stdout == ""  # no problem
    in_memory = load_knowledge(SAMPLE_KNOWLEDGE)
    from_db = load_knowledge(SAMPLE_KNOWLEDGE, InDatabase(store))
    validated = load_knowledge(SAMPLE_KNOWLEDGE, InMemory(keep_lines=False))
    assert result.stderr == counts(in_memory) + "\n"
    assert counts(in_memory) == counts(from_db) == counts(validated)
    assert len(validated.invoices) == len(in_memory.invoices) and list(validated.invoices) == []


def test_check_reports_an_alias_of_two_customers_and_malformed_aliases_at_their_line(
    folder: Path,
) -> None:
    path = folder / "customers.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("  - id: fabrikam\n", "  - id: fabrikam\n    aliases: [Contoso Ltd.]\n")
    text = text.replace("  - id: adatum\n", "  - id: adatum\n    aliases: {nl: Adatum}\n")
    path.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    fabrikam = lines.index("  - id: fabrikam") + 1
    adatum = lines.index("  - id: adatum") + 1

    result = CliRunner().invoke(cli, ["check", str(folder)])

    assert result.exit_code == 1, result.output
    assert (
        f"customers.yaml:{fabrikam}: fabrikam: alias 'Contoso Ltd.' is also a name of 'contoso'"
        in result.stdout
    )
    assert f"customers.yaml:{adatum}: adatum: aliases must be a list of names" in result.stdout
