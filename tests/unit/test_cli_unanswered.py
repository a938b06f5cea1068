import json

from click.testing import CliRunner

from bot.cli import cli
from bot.storage.stores import Storage
from bot.types import ReplyKind


def test_unanswered_lists_the_most_asked_first_and_unhelpful_answers(settings, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    storage = Storage.from_url(settings.database)
    with storage.db.write() as session:
        for question in ("Do you take bitcoin?", "Who won the match?", "do you take  Bitcoin?"):
            storage.feedback.unanswered_in(
                session,
                channel="teams",
                customer_id="contoso",
                kind=ReplyKind.NOT_SURE,
                question=question,
                confidence=0.4,
                nearest="a.md › Payments",
            )
        storage.feedback.vote_in(session, "teams", "c1", False, "articles/vat-tax-and-currency.md")
        storage.feedback.vote_in(session, "teams", "c1", True, "articles/invoice-schedule.md")
    storage.close()

    result = CliRunner().invoke(cli, ["unanswered"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "3 questions not answered in the last 30 days:"
    assert lines[1].strip().startswith("2×") and "bitcoin" in lines[1].lower()
    assert "1 answer marked not helpful:" in result.output
    assert "articles/vat-tax-and-currency.md" in result.output
    assert "invoice-schedule" not in result.output

    report = json.loads(CliRunner().invoke(cli, ["unanswered", "--json"]).output)
    assert len(report["questions"]) == 3 and len(report["unhelpful"]) == 1
