"""`eval --conversations` end to end on the sample folder (the hashing embedder: what is
pinned here is the command's plumbing, storage per conversation and ticket counting)."""

import json
import re

from click.testing import CliRunner

from bot.cli import cli

CONVERSATIONS = [
    {
        "id": "owes",
        "customer": "fabrikam",
        "today": "2026-11-24",
        "turns": [
            {
                "say": "how much do we owe right now",
                "expect": {"kind": "invoice", "contains": [["3,963.96"]], "no_ticket": True},
            }
        ],
    },
    {
        "id": "person",
        "customer": "contoso",
        "today": "2026-11-24",
        "turns": [{"say": "talk to a person", "expect": {"kind": "escalate"}}],
    },
]


def test_eval_conversations_replays_each_conversation_and_counts_its_tickets(
    settings, tmp_path, monkeypatch
):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EMBEDDING_MODEL", "hashing")
    path = tmp_path / "conversations.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in CONVERSATIONS), encoding="utf-8")

    result = CliRunner().invoke(cli, ["eval", "--conversations", str(path), "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.output.splitlines()[-1])
    owes, person = report["turns"]
    assert (owes["kind"], owes["ticket_opened"], owes["passed"]) == ("invoice", False, True)
    assert (person["kind"], person["ticket_opened"], person["passed"]) == ("escalate", True, True)
    assert report["summary"]["turns"] == {"passed": 2, "total": 2}
    assert report["languages"]["en"]["turns"] == {"passed": 2, "total": 2}
    assert report["languages"]["en"]["unexpected_tickets"] == 0


def test_eval_conversations_with_folds_reports_each_held_fold(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EMBEDDING_MODEL", "hashing")
    path = tmp_path / "conversations.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in CONVERSATIONS), encoding="utf-8")

    result = CliRunner().invoke(cli, ["eval", "--conversations", str(path), "--folds", "2"])

    assert result.exit_code == 0, result.output
    assert "cross-validated (2 held folds, GroupKFold by conversation)" in result.output
    assert "fold 1 (1 conversations)" in result.output
    assert "each held fold is answered by a gate fit without its conversations" in result.output

    as_json = CliRunner().invoke(
        cli, ["eval", "--conversations", str(path), "--folds", "2", "--json"]
    )
    cross = json.loads(as_json.output.splitlines()[-1])["cross_validated"]
    assert cross["folds"] == 2
    assert [f["turns"] for f in cross["per_fold"]] == [{"passed": 1, "total": 1}] * 2
    assert cross["mean"]["turns"] == 1.0 and cross["sd"]["turns"] == 0.0
    assert cross["mean"]["es"] is None  # no Spanish turns: no figure, not NaN

    too_many = CliRunner().invoke(cli, ["eval", "--conversations", str(path), "--folds", "3"])
    assert too_many.exit_code != 0 and "--folds 3: needs 2 to 2" in too_many.output


def test_eval_conversations_keep_state_fills_the_database_for_the_report(
    settings, tmp_path, monkeypatch
):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EMBEDDING_MODEL", "hashing")
    path = tmp_path / "conversations.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in CONVERSATIONS), encoding="utf-8")

    kept = CliRunner().invoke(cli, ["eval", "--conversations", str(path), "--keep-state"])
    assert kept.exit_code == 0, kept.output
    report = CliRunner().invoke(
        cli, ["report", "--since", "2026-11-23", "--until", "2026-11-29", "--json"]
    )

    assert report.exit_code == 0, report.output
    figures = json.loads(report.output)
    assert figures["total"]["episodes"] == 2
    assert figures["total"]["counts"]["escalated"] == 1  # "talk to a person"
    assert figures["total"]["counts"]["assumed"] == 1  # answered, then nothing


def test_keep_state_goes_with_conversations(settings, monkeypatch, tmp_path):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    path = tmp_path / "questions.jsonl"
    path.write_text("", encoding="utf-8")
    result = CliRunner().invoke(cli, ["eval", "--questions", str(path), "--keep-state"])
    assert result.exit_code == 2 and "--keep-state goes with --conversations" in result.output


def policy_turn(say: str, kind: str, cites: str | None = None) -> dict:
    expect: dict = {"kind": kind}
    if cites:
        expect["cites"] = cites
    return {"say": say, "expect": expect}


POLICY_CONVERSATIONS = [
    {
        "id": f"p{n}",
        "customer": "contoso",
        "today": "2026-11-24",
        "turns": [turn],
    }
    for n, turn in enumerate(
        [
            policy_turn("How can we pay: bank transfer or card?", "answer", "payment-methods"),
            policy_turn("What are your support hours?", "answer", "contacting-billing"),
            policy_turn("What happens when an invoice is paid late?", "answer", "late-payments"),
            policy_turn("How do we pay by bank transfer?", "not_sure"),
            policy_turn("Which currencies do you invoice in?", "not_sure"),
            policy_turn("Can we cancel licences we bought by mistake?", "not_sure"),
        ]
    )
]


def test_train_gate_fits_a_gate_on_labelled_conversations_and_reports_it(
    settings, tmp_path, monkeypatch
):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EMBEDDING_MODEL", "hashing")
    path = tmp_path / "conversations.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in POLICY_CONVERSATIONS), encoding="utf-8")
    out = tmp_path / "gate.json"

    result = CliRunner().invoke(
        cli, ["train-gate", "--conversations", str(path), "--out", str(out)]
    )

    assert result.exit_code == 0, result.output
    from bot.answering.gate import Gate

    gate = Gate.load(out)
    assert {row.source for row in gate.rows} == {f"{tmp_path.name}/conversations.jsonl"}
    # every turn asked the gate; what the hashing embedder finds is not pinned here
    assert re.search(rf"{tmp_path.name}/conversations.jsonl: 6 \(\d\) \|", result.output)


def test_train_gate_without_wrong_answers_says_what_it_needs(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EMBEDDING_MODEL", "hashing")
    path = tmp_path / "conversations.jsonl"
    path.write_text(json.dumps(POLICY_CONVERSATIONS[0]), encoding="utf-8")

    result = CliRunner().invoke(
        cli, ["train-gate", "--conversations", str(path), "--out", str(tmp_path / "g.json")]
    )

    assert result.exit_code != 0
    assert "right and wrong answers" in result.output
    assert not (tmp_path / "g.json").exists()


def test_held_folds_are_never_kept_in_the_configured_database(settings, tmp_path, monkeypatch):
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("EMBEDDING_MODEL", "hashing")
    path = tmp_path / "conversations.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in CONVERSATIONS), encoding="utf-8")

    result = CliRunner().invoke(
        cli, ["eval", "--conversations", str(path), "--folds", "2", "--keep-state"]
    )

    assert result.exit_code == 2
    assert "--folds runs the conversations again: not with --keep-state" in result.output
