import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.errors import KnowledgeError
from bot.knowledge.folder import MAX_FILE_BYTES, load_knowledge
from bot.knowledge.problems import Severity
from bot.types import Audience
from tests.conftest import CORPUS, SAMPLE_KNOWLEDGE, complete_folder


def test_the_sample_folder_loads_without_problems():
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    assert knowledge.problems == ()
    assert {c.id for c in knowledge.customers} >= {"contoso", "fabrikam", "adatum"}
    assert len(knowledge.invoices) >= 20
    assert {p.audience for p in knowledge.passages} == {Audience.CUSTOMER, Audience.AGENT}
    assert knowledge.rules.category("billing_dispute").route == "partner_billing"
    assert knowledge.partner.support.hours["mon"][0].hour == 8


def corpus_folder(tmp_path: Path) -> Path:
    """The real corpus's articles in a complete folder (customers, invoices...: required)."""
    return Path(shutil.copytree(CORPUS, complete_folder(tmp_path / "k"), dirs_exist_ok=True))


def test_every_file_of_the_real_corpus_loads(tmp_path: Path):
    knowledge = load_knowledge(corpus_folder(tmp_path))
    assert knowledge.errors == ()
    loaded = {p.path for p in knowledge.passages}
    on_disk = {p.name for p in CORPUS.iterdir() if p.suffix in (".md", ".yml")}
    assert loaded == on_disk
    faq = [p for p in knowledge.passages if p.path == "troubleshoot-payments-faq.yml"]
    assert any(p.section.startswith("I'm sure we have earnings") for p in faq)
    assert all(len(p.text.split()) <= 180 for p in knowledge.passages)
    [warning] = knowledge.problems
    assert (warning.path, warning.severity) == ("MANIFEST.tsv", Severity.WARNING)


def test_sections_are_cited_by_title_section_and_path():
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    passage = next(p for p in knowledge.passages if "7-day" in p.section)
    assert passage.citation.path == "articles/cancellation-window.md"
    assert passage.title.startswith("Cancellation policy")


def _broken_folder(root: Path) -> Path:
    (root / "bad-front-matter.md").write_text("---\ntitle: [unclosed\n---\n# T\n\ntext here ok\n")
    (root / "audience.md").write_text("---\naudience: partners\n---\n# T\n\nsome words here\n")
    (root / "latin1.md").write_bytes("# Caf\xe9\n\nna\xefve text\n".encode("latin-1"))
    (root / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (root / "empty.md").write_text("")
    (root / "huge.md").write_bytes(b"a" * (MAX_FILE_BYTES + 1))
    (root / "logo.png").write_bytes(b"\x89PNG")
    (root / "invoices.csv").write_text(
        "invoice_number,customer_id,issue_date,due_date,period_start,period_end,product,sku,"
        "charge_type,quantity,unit_price,amount,tax,currency,status,paid_date\n"
        "NW-1,acme,2026-11-02,2026-12-02,2026-11-01,2026-11-30,M365,S,renewal,2,10,20,0,EUR,"
        "unpaid,\n"
        "NW-1,acme,2026-11-02,2026-12-02,2026-11-01,2026-11-30,M365,S,renewal,2,10,25,0,EUR,"
        "unpaid,\n"
        "NW-2,acme,2026-12-02,2026-12-02,2026-11-01,2026-11-30,M365,S,gift,1,1,1,0,EUR,paid,\n"
        "NW-3,acme,2026-13-02,2026-12-02,2026-11-01,2026-11-30,M365,S,new,1,1,1,0,EUR,unpaid,\n"
    )
    (root / "customers.yaml").write_text(
        "customers:\n  - id: acme\n    name: Acme\n    tenant_ids: [not-a-guid]\n"
        "    account_status: sleeping\n"
    )
    (root / "escalation.yaml").write_text(
        "routes:\n  billing: {name: Billing}\ncategories:\n"
        "  - id: dispute\n    route: nowhere\n    examples: [x]\n"
    )
    return root


def test_a_broken_folder_lists_each_problem_with_path_and_line(tmp_path: Path):
    knowledge = load_knowledge(_broken_folder(tmp_path))
    messages = [str(p) for p in knowledge.problems]
    expected = [
        "bad-front-matter.md:2: front matter is not valid YAML",
        "audience.md:2: audience must be 'customer' or 'agent', not 'partners'",
        "latin1.md:1: not UTF-8",
        "binary.md:1: binary file",
        "empty.md:1: warning: empty file",
        "huge.md:1: file is over the 5 MiB limit",
        "logo.png:1: warning: unknown file type '.png'",
        "invoices.csv:3: amount 25 is not quantity × unit_price",
        "invoices.csv:4: charge_type must be one of",
        "invoices.csv:5: issue_date '2026-13-02' is not a date",
        "customers.yaml:2: acme: tenant id 'not-a-guid' is not a GUID",
        "customers.yaml:2: acme: account_status must be one of",
        "escalation.yaml:4: category 'dispute': unknown route 'nowhere'",
    ]
    for start in expected:
        assert any(m.startswith(start) for m in messages), (start, messages)
    # An article with an unknown audience stays internal rather than leaking.
    assert {p.audience for p in knowledge.passages if p.path == "audience.md"} == {Audience.AGENT}


def test_check_exits_1_on_errors_and_0_on_a_clean_folder(tmp_path: Path):
    runner = CliRunner()
    broken = runner.invoke(cli, ["check", str(_broken_folder(tmp_path))])
    assert broken.exit_code == 1
    assert f"{tmp_path.as_posix()}/latin1.md:1: not UTF-8" in broken.output
    clean = runner.invoke(cli, ["check", str(corpus_folder(tmp_path))])
    assert clean.exit_code == 0, clean.output


def test_a_missing_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(KnowledgeError, match="does not exist"):
        load_knowledge(tmp_path / "nope")
    result = CliRunner().invoke(cli, ["check", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "does not exist" in result.output
