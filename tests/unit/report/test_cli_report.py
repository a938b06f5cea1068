"""`billing-bot report`: the terminal, `--json` and `--html` outputs of one database."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from report_script import START, Script

from bot.cli import cli
from bot.reasons import Reason
from bot.storage.database import Database
from bot.storage.stores import Storage


@pytest.fixture
def filled(settings, monkeypatch, clock) -> Storage:
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EMBEDDING_MODEL", "hashing")
    storage = Storage(Database.from_url(settings.database, clock=clock))
    script = Script(storage, clock)
    script.answered("articles/invoice-schedule.md").solved()
    script.conversation, script.customer = "conv-2", "adatum"
    script.answered("articles/refunds-and-credits.md")
    script.conversation, script.customer = "conv-3", "contoso"
    script.escalated("microsoft_commercial", "microsoft_commercial")
    with storage.db.write() as session:  # a vote alone: the episodes stay as they are
        storage.feedback.vote_in(session, "teams", "conv-2", False, "x", Reason.INCOMPLETE)
    storage.close()
    return storage


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, ["report", "--since", "2026-11-01", "--until", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_json_gives_the_headline_and_every_outcome(filled):
    data = json.loads(run("2026-11-30", "--json"))
    assert data["total"]["episodes"] == 3
    assert data["headline"] == {"confirmed_rate": 1 / 3, "assumed_rate": 1 / 3}
    assert data["total"]["counts"] == {
        "confirmed": 1,
        "assumed": 1,
        "ambiguous": 0,
        "escalated": 1,
        "not_served": 0,
    }
    assert data["weeks"][0]["week"] == START.date().isoformat()
    assert data["escalated"] == [
        {"route": "microsoft_commercial", "category": "microsoft_commercial", "episodes": 1}
    ]
    assert data["unhelpful_reasons"] == {
        "wrong": 0,
        "misunderstood": 0,
        "incomplete": 1,
        "figures": 0,
        "other": 0,
        "unstated": 0,
    }
    # Articles of the sample folder no answer cited.
    assert "articles/invoice-schedule.md" not in data["articles"]["never_cited"]
    assert "articles/vat-tax-and-currency.md" in data["articles"]["never_cited"]


def test_the_terminal_shows_confirmed_apart_from_assumed(filled):
    output = run("2026-11-30")
    assert "confirmed resolved 33.3% (1)" in output
    assert "assumed resolved, never added: 33.3% (1)" in output
    assert "down by reason: wrong 0, misunderstood 0, incomplete 1, figures 0" in output


def test_html_writes_the_page_with_the_same_figures(filled, tmp_path):
    page = tmp_path / "report.html"
    assert "wrote" in run("2026-11-30", "--html", str(page))
    html = page.read_text(encoding="utf-8")
    assert "Northwind Cloud Partners" in html and "33.3" in html
    assert "Microsoft" in html  # the route's name from escalation.yaml


def test_since_after_until_is_refused(filled):
    result = CliRunner().invoke(cli, ["report", "--since", "2026-12-01", "--until", "2026-11-01"])
    assert result.exit_code == 2 and "--since must be on or before --until" in result.output
