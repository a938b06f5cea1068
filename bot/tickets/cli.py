"""`billing-bot tickets ...`: look at and act on tickets and the outbox from a terminal.

The lead registers the group with `cli.add_command(tickets)`; `ctx.obj` is the `Settings`.
Only SQLAlchemy is imported on this path (no model, no channel SDK), so it starts fast.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import click

from bot.config import Settings
from bot.errors import BotError
from bot.tickets.status import Status, parse_status
from bot.tickets.store import TicketStore
from bot.tickets.values import OutboxEntry, OutboxStatus, Ticket

# The turns `billing-bot report` reads: a year's report and its 7-day follow-up, by default;
# never less than the default report's 28 days, the day before and the follow-up.
TURN_DAYS = 400
TURN_DAYS_MIN = 36


@contextmanager
def _store(ctx: click.Context) -> Iterator[TicketStore]:
    settings = ctx.find_object(Settings)
    if settings is None:
        raise click.UsageError("no settings: run this through `billing-bot tickets ...`")
    try:
        store = TicketStore.from_url(settings.database)
    except BotError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield store
    except BotError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _line(ticket: Ticket) -> str:
    who = ticket.assignee or "-"
    question = ticket.question.replace("\n", " ")
    if len(question) > 60:
        question = question[:57] + "..."
    return (
        f"{ticket.number:<10} {ticket.status:<20} {ticket.category:<16} {ticket.route:<12} "
        f"{ticket.customer_id:<16} {who:<12} {question}"
    )


@click.group()
def tickets() -> None:
    """Tickets handed to people, and the outbox that carries their messages."""


@tickets.command("list")
@click.option("--status", type=click.Choice([s.value for s in Status]), help="Only this status.")
@click.option("--customer", "customer_id", help="Only this customer id.")
@click.option("--assignee", help="Only tickets claimed by this agent.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_tickets(
    ctx: click.Context,
    status: str | None,
    customer_id: str | None,
    assignee: str | None,
    as_json: bool,
) -> None:
    """List tickets, oldest first."""
    with _store(ctx) as store:
        wanted = None if status is None else parse_status(status)
        found = store.find(status=wanted, customer_id=customer_id, assignee=assignee)
    if as_json:
        _print_json([t.to_json() for t in found])
        return
    if not found:
        click.echo("no tickets")
        return
    click.echo(
        f"{'NUMBER':<10} {'STATUS':<20} {'CATEGORY':<16} {'ROUTE':<12} {'CUSTOMER':<16} "
        f"{'ASSIGNEE':<12} QUESTION"
    )
    for ticket in found:
        click.echo(_line(ticket))


@tickets.command("show")
@click.argument("number")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def show(ctx: click.Context, number: str, as_json: bool) -> None:
    """Show one ticket: its details, transcript and history."""
    with _store(ctx) as store:
        ticket = store.get(number)
        history = store.events(number)
    if as_json:
        _print_json({**ticket.to_json(), "events": [e.to_json() for e in history]})
        return
    click.echo(f"{ticket.number}  {ticket.status}  {ticket.category} / {ticket.route}")
    click.echo(f"customer:  {ticket.customer_id} ({ticket.channel} {ticket.conversation})")
    click.echo(f"assignee:  {ticket.assignee or '-'}")
    click.echo(f"opened:    {ticket.created_at:%Y-%m-%d %H:%M:%S} UTC")
    click.echo(f"question:  {ticket.question}")
    if ticket.evidence:
        click.echo("evidence:")
        for item in ticket.evidence:
            click.echo(f"  - {item}")
    click.echo("transcript:")
    for entry in ticket.transcript:
        note = " (internal)" if entry.internal else ""
        click.echo(f"  [{entry.at:%H:%M:%S}] {entry.author}{note}: {entry.text}")
    click.echo("history:")
    for event in history:
        before = f"{event.from_status} " if event.from_status else ""  # opened: nothing before
        change = f" {before}→ {event.to_status}" if event.to_status else ""
        click.echo(f"  [{event.at:%Y-%m-%d %H:%M:%S}] {event.actor} {event.kind}{change}")


@tickets.command("resolve")
@click.argument("number")
@click.option("--by", "actor", default="cli", show_default=True, help="Who resolves it.")
@click.pass_context
def resolve(ctx: click.Context, number: str, actor: str) -> None:
    """Resolve a ticket (the customer is told, and asked whether it solved the problem)."""
    with _store(ctx) as store, store.database.write() as session:
        ticket = store.resolve_in(session, number, actor)
    click.echo(f"{ticket.number} resolved by {actor}")


@tickets.command("claim")
@click.argument("number")
@click.option("--by", "agent", required=True, help="The agent taking it.")
@click.pass_context
def claim(ctx: click.Context, number: str, agent: str) -> None:
    """Claim a ticket for an agent."""
    with _store(ctx) as store, store.database.write() as session:
        ticket = store.claim_in(session, number, agent)
    click.echo(f"{ticket.number} claimed by {agent}")


@tickets.command("reply")
@click.argument("number")
@click.argument("text")
@click.option("--by", "agent", required=True, help="The agent answering.")
@click.option("--internal", is_flag=True, help="A note for agents; never sent to the customer.")
@click.pass_context
def reply(ctx: click.Context, number: str, text: str, agent: str, internal: bool) -> None:
    """Answer the customer of a ticket (queued for delivery to the customer's channel)."""
    with _store(ctx) as store, store.database.write() as session:
        ticket = store.add_agent_reply_in(session, number, agent, text, internal=internal)
    click.echo(f"{ticket.number}: {'note added' if internal else 'reply queued'}")


def _outbox_line(entry: OutboxEntry) -> str:
    error = (entry.last_error or "").replace("\n", " ")
    if len(error) > 70:
        error = error[:67] + "..."
    return (
        f"{entry.id:<6} {entry.status:<8} {entry.channel:<8} {entry.event:<17} "
        f"{entry.number or '-':<10} {entry.attempts:<3} "
        f"{entry.next_attempt_at:%Y-%m-%d %H:%M:%S}  {error}"
    )


@tickets.command("outbox")
@click.option("--all", "show_all", is_flag=True, help="Include delivered and superseded rows.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def outbox(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """Outbox rows not delivered yet (pending), held for the customer's next message (held)
    or refused for good by the platform (dead)."""
    wanted = () if show_all else (OutboxStatus.PENDING, OutboxStatus.HELD, OutboxStatus.DEAD)
    with _store(ctx) as store:
        entries = store.outbox.entries(*wanted)
        counts = store.outbox.counts()
    if as_json:
        _print_json({"counts": counts, "rows": [e.to_json() for e in entries]})
        return
    click.echo("  ".join(f"{name}: {n}" for name, n in counts.items()))
    if not entries:
        return
    click.echo(
        f"{'ID':<6} {'STATUS':<8} {'CHANNEL':<8} {'EVENT':<17} {'TICKET':<10} {'TRY':<3} "
        f"{'NEXT ATTEMPT (UTC)':<20} LAST ERROR"
    )
    for entry in entries:
        click.echo(_outbox_line(entry))


@tickets.command("prune")
@click.option("--days", type=click.IntRange(min=1), default=30, show_default=True)
@click.option(
    "--turn-days",
    type=click.IntRange(min=TURN_DAYS_MIN),
    default=TURN_DAYS,
    show_default=True,
    help="Keep the turns (what `billing-bot report` reads) this many days.",
)
@click.pass_context
def prune(ctx: click.Context, days: int, turn_days: int) -> None:
    """Forget old inbound event ids, delivered outbox rows and the state (transcript) of
    conversations quiet for DAYS, and the turns older than TURN_DAYS (tickets and their
    history stay)."""
    from bot.storage.stores import Storage

    with _store(ctx) as store:
        pruned = Storage(store.database).prune(timedelta(days=days), timedelta(days=turn_days))
    click.echo(
        f"forgot {pruned.inbound} inbound event ids, {pruned.outbox} delivered outbox rows, "
        f"{pruned.states} conversation states and {pruned.turns} turns"
    )


@tickets.command("requeue")
@click.argument("row_id", type=int)
@click.pass_context
def requeue(ctx: click.Context, row_id: int) -> None:
    """Put a dead or held outbox row back in line for delivery."""
    with _store(ctx) as store:
        entry = store.outbox.requeue(row_id, now=store.now())
    click.echo(f"outbox row {entry.id} ({entry.key}) is pending again")
