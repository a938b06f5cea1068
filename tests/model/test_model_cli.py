"""The CLI as an admin uses it, with the real model (marker `model`)."""

import json

import pytest
from click.testing import CliRunner

from adapters.cli import cli
from tests.conftest import SAMPLE_KNOWLEDGE

pytestmark = pytest.mark.model


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("KNOWLEDGE_DIR", str(SAMPLE_KNOWLEDGE))

    def invoke(*args: str):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
        return result

    return invoke


def test_ask_json_answers_the_overdue_customer_from_its_invoices(run):
    result = run("ask", "--customer", "fabrikam", "when is my invoice due?", "--json")
    assert result.exit_code == 0, result.output
    reply = json.loads(result.stdout)
    assert set(reply) >= {"text", "kind", "confidence", "citations", "ticket"}
    assert reply["kind"] == "invoice" and "NW-2026-0466" in reply["text"]


def test_a_dispute_opens_a_ticket_that_tickets_list_shows(run):
    asked = run("ask", "--customer", "fabrikam", "I want to dispute invoice NW-2026-0466", "--json")
    ticket = json.loads(asked.stdout)["ticket"]
    assert (ticket["category"], ticket["route"], ticket["status"]) == (
        "billing_dispute",
        "partner_billing",
        "open",
    )
    listed = run("tickets", "list", "--json")
    assert [t["number"] for t in json.loads(listed.stdout)] == [ticket["number"]]


def test_eval_json_scores_a_question_file(run, tmp_path):
    questions = tmp_path / "questions.jsonl"
    questions.write_text(
        json.dumps(
            {
                "question": "Do you charge VAT?",
                "gold_paths": ["vat-tax-and-currency.md"],
                "in_scope": True,
            }
        )
        + "\n"
        + json.dumps(
            {"question": "Who won the football last night?", "gold_paths": [], "in_scope": False}
        )
        + "\n"
    )
    result = run("eval", "--questions", str(questions), "--json")
    report = json.loads(result.stdout)
    assert set(report) == {"lexical", "dense", "hybrid", "decisions", "languages"}
    assert report["languages"] == {"en": 2}  # each question read in its own language
    assert report["hybrid"]["hit@1"] == 1.0
    assert report["decisions"] == {
        "answered_precision": 1.0,
        "escalation_recall": 1.0,
        "answered": 1,
        "total": 2,
        "coverage": 1.0,  # answered and right, among the answerable questions
        "wrong": [],  # the questions it got wrong, listed for the admin
    }


def test_an_unknown_customer_is_a_clear_usage_error(run):
    result = run("ask", "--customer", "nobody", "hello")
    assert result.exit_code == 2
    assert "no customer 'nobody' (known: contoso" in result.output
