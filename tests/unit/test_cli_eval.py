"""`eval --conversations` end to end on the sample folder (the hashing embedder: what is
pinned here is the command's plumbing, storage per conversation and ticket counting)."""

import json

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
