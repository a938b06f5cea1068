"""The knowledge folder never reaches outside itself, and no value in it crashes a loader:
links out, loops, FIFOs, folders named like files and impossible values are `path:line`
problems; losing a whole file customers depend on is fatal."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.errors import KnowledgeError
from bot.knowledge.folder import load_knowledge
from bot.knowledge.problems import Severity
from bot.knowledge.report import require_servable
from tests.conftest import SAMPLE_KNOWLEDGE, complete_folder

SECRET = "root:x:0:0:the-secret-outside-the-folder"
ARTICLE = "# Payment terms\n\nInvoices are payable within thirty days of the invoice date.\n"
HEADER = (
    "invoice_number,customer_id,issue_date,due_date,period_start,period_end,product,sku,"
    "charge_type,quantity,unit_price,amount,tax,currency,status,paid_date\n"
)


def row(number: str = "NW-1", quantity: str = "2", unit_price: str = "10", amount: str = "20"):
    return (
        f"{number},acme,2026-11-02,2026-12-02,2026-11-01,2026-11-30,M365,S,renewal,"
        f"{quantity},{unit_price},{amount},0,EUR,unpaid,\n"
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = complete_folder(tmp_path / "knowledge")
    (tmp_path / "passwd").write_text(f"# Users\n\n{SECRET} and more words\n")
    (tmp_path / ".env").write_text(f"TEAMS_APP_PASSWORD={SECRET}\n")
    (root / "terms.md").write_text(ARTICLE)
    return root


def messages(root: Path) -> list[str]:
    return [str(p) for p in load_knowledge(root).problems]


def assert_reported(root: Path, *starts: str) -> None:
    found = messages(root)
    for start in starts:
        assert any(m.startswith(start) for m in found), (start, found)


def test_a_link_to_a_file_outside_the_folder_is_refused_and_never_loaded(folder: Path):
    (folder / "passwd.md").symlink_to(folder.parent / "passwd")
    (folder / "env.md").symlink_to("../.env")

    knowledge = load_knowledge(folder)

    assert_reported(
        folder,
        f"passwd.md:1: symlink to '{folder.parent / 'passwd'}', outside the knowledge folder: "
        "refused, never loaded",
        "env.md:1: symlink to '../.env', outside the knowledge folder",
    )
    assert all(SECRET not in p.text for p in knowledge.passages)
    assert {p.path for p in knowledge.passages} == {"terms.md"}


def test_a_hard_link_to_a_file_outside_the_folder_is_refused_and_never_loaded(folder: Path):
    os.link(folder.parent / "passwd", folder / "passwd.md")  # a regular file to lstat
    os.link(folder.parent / ".env", folder / "sub.md")
    (folder / "alias.md").symlink_to("passwd.md")  # in the folder, to the hard link

    knowledge = load_knowledge(folder)

    assert_reported(
        folder,
        "passwd.md:1: a hard link (2 names for one file; the others may be outside the "
        "knowledge folder): refused, never loaded",
        "sub.md:1: a hard link",
        "alias.md:1: a hard link",
    )
    assert all(SECRET not in p.text for p in knowledge.passages)
    assert {p.path for p in knowledge.passages} == {"terms.md"}
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 1
    assert f"{folder.as_posix()}/passwd.md:1: a hard link" in result.output


def test_check_names_the_link_out_and_fails(folder: Path):
    (folder / "passwd.md").symlink_to("/etc/passwd")
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 1
    assert f"{folder.as_posix()}/passwd.md:1: symlink to '/etc/passwd', outside" in result.output


def test_a_link_inside_the_folder_loads_but_never_one_to_a_hidden_file(folder: Path):
    (folder / ".secret.md").write_text(f"# Hidden\n\n{SECRET} in a hidden file\n")
    (folder / "alias.md").symlink_to("terms.md")
    (folder / "hidden.md").symlink_to(".secret.md")

    knowledge = load_knowledge(folder)

    assert {p.path for p in knowledge.passages} == {"terms.md", "alias.md"}
    assert_reported(folder, "hidden.md:1: symlink to the hidden file '.secret.md': refused")


def test_loops_broken_links_fifos_and_folders_named_like_files_are_reported(folder: Path):
    (folder / "loop-a.md").symlink_to("loop-b.md")
    (folder / "loop-b.md").symlink_to("loop-a.md")
    (folder / "gone.md").symlink_to("nowhere.md")
    os.mkfifo(folder / "pipe.md")
    (folder / "notes.md").mkdir()
    (folder / "notes.md" / "inside.md").write_text(ARTICLE)
    (folder / "more").symlink_to(folder / "notes.md")

    assert_reported(
        folder,
        "loop-a.md:1: symlink loop ('loop-b.md'); skipped",
        "loop-b.md:1: symlink loop",
        "gone.md:1: broken symlink to 'nowhere.md'; skipped",
        "pipe.md:1: is a FIFO (named pipe), not a file; skipped",
        "notes.md:1: is a folder, not a file",
        "more:1: warning: symlink to the folder notes.md: not followed",
    )
    assert {p.path for p in load_knowledge(folder).passages} == {"terms.md"}


def test_a_device_file_is_never_opened(folder: Path):
    (folder / "null.md").symlink_to("/dev/null")  # outside, and not a file either
    assert_reported(folder, "null.md:1: symlink to '/dev/null', outside the knowledge folder")


@pytest.mark.parametrize(
    ("quantity", "unit_price", "amount", "message"),
    [
        ("2", "10", "NaN", "amount 'NaN' is not a finite number"),
        ("2", "Infinity", "20", "unit_price 'Infinity' is not a finite number"),
        ("-inf", "10", "20", "quantity '-inf' is not a finite number"),
        ("2", "10", "sNaN", "amount 'sNaN' is not a finite number"),
        ("2", "10", "1e309", "amount '1e309' is out of range"),
        ("1e999999999", "1", "1", "quantity '1e999999999' is out of range"),
        ("2", "1e-9999", "20", "unit_price '1e-9999' is out of range"),
        ("2", "10", "9" * 5000, "amount '999"),
    ],
)
def test_non_finite_and_huge_numbers_are_problems_not_crashes(
    folder: Path, quantity: str, unit_price: str, amount: str, message: str
):
    (folder / "invoices.csv").write_text(HEADER + row("NW-2", quantity, unit_price, amount))
    assert_reported(folder, f"invoices.csv:2: {message}")


@pytest.mark.parametrize(
    ("partner", "message"),
    [
        ('support:\n  hours:\n    mon: "25:99-18:00"\n', "hours: mon: '25:99-18:00' is not a time"),
        ('support:\n  hours:\n    mon: "18:00-08:00"\n', "hours: mon: '18:00-08:00' closes before"),
        ("support:\n  hours: [mon]\n", "hours: must be a mapping"),
        ("support: 24/7\n", "support: must be a mapping"),
        ("support:\n  holidays: [2026-02-30]\n", "invalid YAML: '2026-02-30' is not a valid date"),
        ("support:\n  holidays: 2026-12-25\n", "holidays: must be a list"),
        ("support:\n  timezone: ../../etc/passwd\n", "unknown timezone '../../etc/passwd'"),
        ("collections:\n  suspension_days: 1e309\n", "collections: suspension_days: '1e309'"),
        (f"collections:\n  suspension_days: {'9' * 400}\n", "collections: suspension_days: 999"),
        ("collections:\n  reminder_days: 7\n", "collections: reminder_days must be a list"),
        ("collections: soon\n", "collections: must be a mapping"),
        ("support_plans: [standard]\n", "support_plans: must be a mapping of plan id"),
        ("support_plans:\n  standard: Estándar\n", "support_plans: standard: must be a mapping"),
        ("support_plans:\n  standard: {spanish: x}\n", "support_plans: standard: 'spanish' is"),
        ("support_plans:\n  standard: {es: 5}\n", "support_plans: standard: es: must be a name"),
        ("support_plans:\n  standard: {es: ['']}\n", "support_plans: standard: es: must be a"),
    ],
)
def test_impossible_times_dates_and_wrong_types_in_partner_yaml_are_problems(
    folder: Path, partner: str, message: str
):
    (folder / "partner.yaml").write_text("name: Acme Partners\n" + partner)
    assert_reported(folder, "partner.yaml:")
    assert any(message in m for m in messages(folder)), messages(folder)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("customers.yaml", "customers:\n  - id: a\n    name: A\n   x: 1\n", "invalid YAML"),
        ("customers.yaml", "customers: acme\n", "expected a top-level 'customers:' list"),
        ("customers.yaml", "customers:\n  - id: a\n", "none of the 1 customer records"),
        ("invoices.csv", "invoice_number,customer_id\nNW-1,acme\n", "missing column(s): issue"),
        ("invoices.csv", HEADER + row(number=""), "the line names no invoice_number"),
        ("invoices.csv", HEADER + '"' + "x" * 200_000 + '"\n', "cannot be read past this line"),
        ("partner.yaml", "- a list\n", "expected a mapping with 'name' and 'support'"),
        ("escalation.yaml", "routes: {}\ncategories: [{id: x}]\n", "no escalation category"),
        ("customers.yaml", "", "empty file"),
    ],
)
def test_losing_a_whole_file_customers_depend_on_is_fatal_and_says_what_it_means(
    folder: Path, name: str, text: str, message: str
):
    (folder / name).write_text(text)
    knowledge = load_knowledge(folder)
    assert knowledge.fatal, knowledge.problems
    assert any(message in p.message for p in knowledge.fatal), knowledge.fatal
    with pytest.raises(KnowledgeError, match="cannot be served"):
        require_servable(knowledge)


def test_check_says_plainly_what_a_broken_customers_file_means(folder: Path):
    (folder / "customers.yaml").write_text("customers:\n  - id: a\n    name: A\n   x: 1\n")
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 1
    assert "customers.yaml:4: invalid YAML" in result.output
    assert "every customer will be refused" in result.output
    assert "0 customers loaded: every customer will be refused" in result.output


def test_check_says_plainly_what_a_missing_invoice_column_means(folder: Path):
    (folder / "invoices.csv").write_text(HEADER.replace(",status", "") + "\n")
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert (
        "invoices.csv:1: missing column(s): status; no invoices loaded from it: every "
        "customer will be told their invoices can't be shown right now"
    ) in result.output


def test_a_folder_named_like_a_structured_file_is_fatal(folder: Path):
    (folder / "customers.yaml").unlink()
    (folder / "customers.yaml").mkdir()  # docker run -v of a file that does not exist
    (fatal,) = load_knowledge(folder).fatal
    assert str(fatal).startswith("customers.yaml:1: is a folder, not a file")
    assert fatal.message.endswith("every customer will be refused")


def test_the_sample_folder_is_servable_and_withholds_nothing():
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    assert require_servable(knowledge) is knowledge
    assert knowledge.withheld == () and knowledge.fatal == ()


def test_one_rejected_line_withholds_its_whole_invoice(tmp_path: Path):
    root = shutil.copytree(SAMPLE_KNOWLEDGE, tmp_path / "knowledge")
    lines = (root / "invoices.csv").read_text().splitlines(keepends=True)
    broken = next(i for i, line in enumerate(lines) if line.startswith("NW-2026-0466,"))
    lines[broken] = lines[broken].replace(",1386.00,", ",NaN,")
    (root / "invoices.csv").write_text("".join(lines))

    knowledge = load_knowledge(root)

    (withheld,) = knowledge.withheld
    assert withheld.number == "NW-2026-0466" and withheld.customer_ids == {"fabrikam"}
    (reason,) = withheld.reasons
    assert (reason.path, reason.line, reason.severity) == ("invoices.csv", broken + 1, "error")
    assert "invoice NW-2026-0466 is withheld from customers until fixed" in reason.message
    assert "NW-2026-0466" not in {inv.number for inv in knowledge.invoices}
    assert (
        knowledge.withheld_of("fabrikam") == [withheld] and knowledge.withheld_of("contoso") == []
    )
    assert knowledge.fatal == ()  # served, with the invoice withheld
    result = CliRunner().invoke(cli, ["check", str(root)])
    assert (
        f"invoice NW-2026-0466 (fabrikam) is withheld from customers until "
        f"invoices.csv:{broken + 1} is fixed"
    ) in result.output


def test_lines_of_one_invoice_that_disagree_withhold_it(folder: Path):
    other = row().replace(",acme,", ",globex,")
    (folder / "invoices.csv").write_text(HEADER + row() + other + row("NW-2"))
    knowledge = load_knowledge(folder)
    assert [w.number for w in knowledge.withheld] == ["NW-1"]
    assert knowledge.withheld[0].customer_ids == {"acme", "globex"}
    assert [inv.number for inv in knowledge.invoices] == ["NW-2"]


def test_rows_of_empty_cells_are_not_invoice_lines(folder: Path):
    (folder / "invoices.csv").write_text(
        HEADER + row().replace(",acme,", ",contoso,") + ",,,,,,,,,,,,,,,\n"
    )
    knowledge = load_knowledge(folder)
    assert knowledge.problems == () and len(knowledge.invoices) == 1


def test_article_front_matter_with_an_impossible_date_is_a_problem(folder: Path):
    (folder / "dated.md").write_text("---\ntitle: T\nupdated: 2026-02-30\n---\n" + ARTICLE)
    assert_reported(folder, "dated.md:3: front matter is not valid YAML")
    assert load_knowledge(folder).problems[0].severity is Severity.ERROR


@pytest.mark.parametrize(
    ("name", "empty", "message"),
    [
        ("customers.yaml", None, "customers.yaml:1: missing; no customers loaded"),
        ("invoices.csv", None, "invoices.csv:1: missing (nor any invoices/*.csv); no invoices"),
        ("partner.yaml", None, "partner.yaml:1: missing; partner settings not loaded"),
        ("escalation.yaml", None, "escalation.yaml:1: missing; escalation rules not loaded"),
        ("invoices.csv", HEADER, "invoices.csv:1: only a header, no invoice line; no invoices"),
        ("customers.yaml", "customers: []\n", "customers.yaml:1: the 'customers:' list is empty"),
        ("partner.yaml", "{}\n", "partner.yaml:1: no settings in it; partner settings not"),
        (
            "escalation.yaml",
            "routes:\n  desk:\n    name: Desk\ncategories: []\n",
            "escalation.yaml:1: the 'categories:' list is empty; escalation rules not loaded",
        ),
    ],
)
def test_a_required_file_missing_or_empty_is_fatal(
    folder: Path, name: str, empty: str | None, message: str
):
    if empty is None:
        (folder / name).unlink()
    else:
        (folder / name).write_text(empty)
    (fatal,) = load_knowledge(folder).fatal
    assert str(fatal).startswith(message)
    with pytest.raises(KnowledgeError, match="cannot be served"):
        require_servable(load_knowledge(folder))  # `serve` refuses to start
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 1
    assert f"{folder.as_posix()}/{message}" in result.output


def test_invoices_from_an_import_need_no_invoice_file(folder: Path):
    (folder / "invoices.csv").unlink()
    result = CliRunner().invoke(cli, ["check", "--invoices-imported", str(folder)])
    assert result.exit_code == 0, result.output
    # An invoice file with no line is still lost: the flag excuses only its absence.
    (folder / "invoices.csv").write_text(HEADER)
    result = CliRunner().invoke(cli, ["check", "--invoices-imported", str(folder)])
    assert result.exit_code == 1 and "invoices.csv:1: only a header" in result.output


def test_invoice_files_in_a_folder_count_as_the_invoices_file(folder: Path):
    (folder / "invoices").mkdir()
    (folder / "invoices.csv").rename(folder / "invoices" / "2026.csv")
    assert load_knowledge(folder).fatal == ()
