import re
from pathlib import Path

from bot.knowledge.folder import load_knowledge
from bot.knowledge.markdown import parse_markdown
from bot.types import Audience
from tests.conftest import SAMPLE_KNOWLEDGE, complete_folder

ARTICLES = SAMPLE_KNOWLEDGE / "articles"


def _english_customer_articles() -> list[Path]:
    return [
        path
        for path in sorted(ARTICLES.glob("*.md"))
        if not path.name.endswith(".es.md") and "audience: agent" not in path.read_text()
    ]


def _numbers(text: str, decimal: str) -> set[str]:
    """Every figure, written the same way whatever the language: 1,270.50 and 1.270,50 are
    both 1270.50."""
    thousands = "," if decimal == "." else "."
    found = set()
    for raw in re.findall(r"\d+(?:[.,]\d+)*", text):
        if re.fullmatch(rf"\d{{1,3}}(\{thousands}\d{{3}})+(\{decimal}\d+)?", raw):
            raw = raw.replace(thousands, "")
        found.add(raw.replace(decimal, "."))
    return found


def test_every_customer_article_has_a_spanish_version_with_the_same_sections_and_figures():
    for english in _english_customer_articles():
        spanish = english.with_suffix(".es.md")
        assert spanish.is_file(), f"{spanish.name} is missing"
        en_text, es_text = english.read_text(), spanish.read_text()
        sections = [len(re.findall(r"^## ", text, re.M)) for text in (en_text, es_text)]
        assert sections[0] == sections[1], english.name
        en_body, es_body = (text.split("\n---\n", 1)[1] for text in (en_text, es_text))
        assert _numbers(en_body, ".") == _numbers(es_body, ","), english.name


def test_spanish_articles_load_as_spanish_passages_for_customers():
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    by_language = {
        language: {p.path for p in knowledge.passages if p.language == language}
        for language in ("en", "es")
    }
    assert "articles/cancellation-window.es.md" in by_language["es"]
    assert "articles/cancellation-window.md" in by_language["en"]
    assert all(path.endswith(".es.md") for path in by_language["es"])
    spanish = [p for p in knowledge.passages if p.language == "es"]
    assert {p.audience for p in spanish} == {Audience.CUSTOMER}


def test_the_language_comes_from_front_matter_else_the_file_name():
    body = "# Reembolsos\n\nLos reembolsos se pagan en diez días hábiles.\n"
    assert parse_markdown("a/refunds.es.md", body)[0][0].language == "es"
    assert parse_markdown("a/refunds.md", body)[0][0].language == "en"
    declared = "---\ntitle: Reembolsos\nlanguage: es\n---\n" + body
    assert parse_markdown("a/refunds.md", declared)[0][0].language == "es"
    learn = "---\ntitle: Facturas\nms.contentlocale: es-ES\n---\n" + body  # Microsoft Learn
    assert parse_markdown("a/invoices.md", learn)[0][0].language == "es"


def test_a_customer_has_a_language_english_by_default(tmp_path: Path):
    knowledge = load_knowledge(SAMPLE_KNOWLEDGE)
    assert knowledge.customer("coho").language == "es"
    assert knowledge.customer("contoso").language == "en"
    assert [i.number for i in knowledge.invoices_of("coho")] == [
        "NW-2026-0436",
        "NW-2026-0481",
        "NW-2026-0525",
    ]


def test_a_malformed_customer_language_is_a_problem_naming_the_line(tmp_path: Path):
    complete_folder(tmp_path, without=("customers.yaml", "invoices.csv"))
    header, first, *_ = (SAMPLE_KNOWLEDGE / "invoices.csv").read_text().splitlines(True)
    (tmp_path / "invoices.csv").write_text(header + first.replace(",contoso,", ",acme,"))
    (tmp_path / "customers.yaml").write_text(
        "customers:\n  - id: acme\n    name: Acme\n  - id: coho\n    name: Coho\n"
        "    language: Spanish\n"
    )
    knowledge = load_knowledge(tmp_path)
    assert [str(p) for p in knowledge.problems] == [
        "customers.yaml:4: coho: language must be a two-letter code such as 'en' or 'es', "
        "not 'spanish'"
    ]
    assert knowledge.customer("coho").language == "en"
