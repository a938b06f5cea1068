"""`billing-bot tickets ...` against a real database, through click's runner."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.config import Settings
from bot.tickets.cli import tickets
from bot.tickets.store import TicketStore


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path)


def run(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(tickets, list(args), obj=settings, catch_exceptions=False)


def open_one(store: TicketStore, customer_id: str = "contoso") -> str:
    conversation = f"a:conv-{len(store.find()) + 1}"  # one active ticket per conversation
    with store.database.write() as session:
        return store.open_in(
            session,
            customer_id=customer_id,
            category="refund",
            route="partner",
            question="Can I get a refund for March?",
            transcript=[("customer", "Can I get a refund for March?"), ("bot", "Let me check.")],
            evidence=["policies/refunds.md#2"],
            channel="teams",
            conversation=conversation,
        ).number


def test_list_shows_tickets_and_filters_by_status(store: TicketStore, settings: Settings) -> None:
    first = open_one(store)
    second = open_one(store, "fabrikam")
    with store.database.write() as session:
        store.claim_in(session, second, "ana")

    everything = run(settings, "list")
    claimed = run(settings, "list", "--status", "claimed", "--json")

    assert everything.exit_code == 0
    assert first in everything.output and second in everything.output
    assert "fabrikam" in everything.output and "ana" in everything.output
    assert [t["number"] for t in json.loads(claimed.output)] == [second]


def test_an_empty_store_says_so(settings: Settings) -> None:
    assert run(settings, "list").output.strip() == "no tickets"


def test_show_prints_the_transcript_and_history(store: TicketStore, settings: Settings) -> None:
    number = open_one(store)
    with store.database.write() as session:
        store.add_agent_reply_in(session, number, "ana", "checked with finance", internal=True)
    with store.database.write() as session:
        store.claim_in(session, number, "ben")

    shown = run(settings, "show", number)
    as_json = json.loads(run(settings, "show", number, "--json").output)

    assert "Can I get a refund for March?" in shown.output
    assert "agent:ana (internal): checked with finance" in shown.output
    assert "policies/refunds.md#2" in shown.output
    assert as_json["number"] == number
    assert [e["kind"] for e in as_json["events"]] == ["opened", "internal_note", "status"]
    history = shown.output.split("history:")[1]
    assert " opened → open\n" in history and " status open → claimed\n" in history
    assert "None" not in history


def test_resolve_and_a_refused_or_unknown_ticket(store: TicketStore, settings: Settings) -> None:
    number = open_one(store)

    done = run(settings, "resolve", number, "--by", "ben")
    again = run(settings, "resolve", number)
    missing = run(settings, "show", "BILL-9999")

    assert done.exit_code == 0 and f"{number} resolved by ben" in done.output
    assert store.get(number).status == "resolved"
    assert again.exit_code == 1
    assert "cannot go from resolved to resolved" in again.output
    assert missing.exit_code == 1 and "no ticket BILL-9999" in missing.output


def test_claim_and_reply_from_the_terminal(store: TicketStore, settings: Settings) -> None:
    number = open_one(store)

    assert run(settings, "claim", number, "--by", "ana").exit_code == 0
    assert run(settings, "reply", number, "Refund approved.", "--by", "ana").exit_code == 0

    ticket = store.get(number)
    assert (ticket.status, ticket.assignee) == ("claimed", "ana")
    assert ticket.transcript[-1].text == "Refund approved."


def test_outbox_lists_pending_and_dead_rows_and_requeues(
    store: TicketStore, settings: Settings
) -> None:
    number = open_one(store)
    [row] = store.outbox.entries()
    # Park it as a dispatcher would when Slack refuses it for good.
    [claimed] = store.outbox.claim(
        ["slack"],
        now=store.now(),
        lease=timedelta(seconds=60),
        limit=1,
        defer=timedelta(seconds=1),
    )
    store.outbox.refused(claimed, "SlackApiError: channel_not_found")

    listed = run(settings, "outbox")
    as_json = json.loads(run(settings, "outbox", "--json").output)
    requeued = run(settings, "requeue", str(row.id))
    not_dead = run(settings, "requeue", str(row.id))

    assert "dead: 1" in listed.output
    assert "channel_not_found" in listed.output and number in listed.output
    assert as_json["rows"][0]["status"] == "dead"
    assert as_json["rows"][0]["body"]["number"] == number
    assert requeued.exit_code == 0 and "pending again" in requeued.output
    assert store.outbox.entries()[0].status == "pending"
    assert not_dead.exit_code == 1 and "only dead or held rows requeue" in not_dead.output


def test_a_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    settings = Settings(database_url="mysql://db/billing", data_dir=tmp_path)
    result = run(settings, "list")
    assert result.exit_code == 1
    assert "unsupported database 'mysql'" in result.output
