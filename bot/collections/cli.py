"""`billing-bot collections preview [--date D] [--json]`: what the collections plan would send
on day D, and why each other open invoice gets nothing. Reads only: nothing is sent or
stored."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import click

from bot.collections.plan import Entry, Outcome, Plan
from bot.locale.formats import counted

# What a skipped invoice's outcome means, for the admin reading the preview.
WHY = {
    Outcome.PAID: "paid",
    Outcome.CREDITED: "credited",
    Outcome.CLAIMED_PAID: "the customer says it is paid: awaiting confirmation",
    Outcome.DISPUTED: "disputed: no reminder while the dispute is open",
    Outcome.PAUSED: "reminders paused",
    Outcome.NOT_YET_DUE: "not yet due",
    Outcome.ALREADY_SENT: "already sent",
    Outcome.PAST_LAST_STEP: "past its last step: for an agent to act on",
    Outcome.UNREACHABLE: "unreachable",
    Outcome.UNKNOWN_CUSTOMER: "unknown customer",
}


@click.group("collections")
def collections() -> None:
    """Payment reminders on the partner's collections timeline (partner.yaml `collections`)."""


@collections.command("preview")
@click.option(
    "--date",
    "day",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day to plan (default: today in the partner's timezone).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def preview(ctx: click.Context, day: datetime | None, as_json: bool) -> None:
    """Print what would be sent on a day (customer, invoice, amount, due date, days overdue,
    step) and why each other open invoice is skipped. Sends nothing."""
    from bot.cli import _knowledge_with, clear_errors, settings_of
    from bot.collections.facts import read_facts
    from bot.collections.plan import plan

    settings = settings_of(ctx)
    with clear_errors():
        knowledge, storage = _knowledge_with(settings, None)
        try:
            facts = read_facts(storage, knowledge.customers)
        finally:
            storage.close()
    partner = knowledge.partner
    on = (
        day.date()
        if day
        else datetime.now(UTC).astimezone(ZoneInfo(partner.support.timezone)).date()
    )
    result = plan(
        knowledge.invoices, knowledge.customers, partner.collections, partner.support, on, facts
    )
    if as_json:
        click.echo(json.dumps(_json(result, facts.reachable is not None), ensure_ascii=False))
        return
    _print(result, facts.reachable is not None)


def _due_today(result: Plan) -> list[Entry]:
    """What goes out: to the customer in Teams, or to the agents when it cannot reach them."""
    return [e for e in result.entries if e.outcome in (Outcome.SEND, Outcome.UNREACHABLE)]


def _print(result: Plan, reach_known: bool) -> None:
    due = _due_today(result)
    click.echo(f"{result.day.isoformat()}: {counted(len(due), 'message', 'messages')} due")
    rows = [("customer", "invoice", "amount", "due", "days overdue", "step", "goes to")]
    for e in due:
        assert e.step is not None
        to = "Teams" if e.outcome is Outcome.SEND else "agents (no Teams conversation stored)"
        if e.catch_up:
            to += f"; catch-up of {e.step.send_on.isoformat()}"
        if e.detail and e.outcome is Outcome.SEND:
            to += f"; {e.detail}"
        rows.append(
            (
                e.customer_id,
                e.invoice,
                f"{e.amount:,.2f} {e.currency}",
                e.due_date.isoformat(),
                str(e.days_overdue),
                e.step.step.key,
                to,
            )
        )
    _table(rows)
    skipped = [e for e in result.entries if e not in due]
    click.echo(f"skipped: {counted(len(skipped), 'open invoice', 'open invoices')}")
    rows = [("customer", "invoice", "amount", "due", "days overdue", "why", "next step")]
    for e in skipped:
        why = WHY[e.outcome] + (f" ({e.detail})" if e.detail else "")
        nxt = f"{e.next.step.key} on {e.next.send_on.isoformat()}" if e.next else "-"
        rows.append(
            (
                e.customer_id,
                e.invoice,
                f"{e.amount:,.2f} {e.currency}",
                e.due_date.isoformat(),
                str(e.days_overdue),
                why,
                nxt,
            )
        )
    _table(rows)
    notes: list[str] = []
    if not reach_known:
        notes.append("no Teams conversations could be read: reachability unknown")
    for note in notes:
        click.echo(f"note: {note}", err=True)


def _table(rows: Sequence[tuple[str, ...]]) -> None:
    if len(rows) == 1:
        return
    widths = [max(len(v) for v in column) for column in zip(*rows, strict=True)]
    for row in rows:
        click.echo("  " + "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _json(result: Plan, reach_known: bool) -> dict[str, Any]:
    def one(e: Entry) -> dict[str, Any]:
        return {
            "customer": e.customer_id,
            "invoice": e.invoice,
            "amount": str(e.amount),
            "currency": e.currency,
            "due_date": e.due_date.isoformat(),
            "days_overdue": e.days_overdue,
            "outcome": str(e.outcome),
            "step": e.step.step.key if e.step else None,
            "step_day": e.step.send_on.isoformat() if e.step else None,
            "next_step": e.next.step.key if e.next else None,
            "next_day": e.next.send_on.isoformat() if e.next else None,
            "catch_up": e.catch_up,
            "detail": e.detail,
        }

    due = _due_today(result)
    return {
        "date": result.day.isoformat(),
        "reachability_known": reach_known,
        "send": [one(e) for e in due],
        "skipped": [one(e) for e in result.entries if e not in due],
    }


@collections.command("history")
@click.option("--customer", help="Only this customer (its id).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def history(ctx: click.Context, customer: str | None, as_json: bool) -> None:
    """What was sent (with its delivery status), clicked ("I've paid") and confirmed, and
    agents' pauses, oldest first."""
    from bot.cli import clear_errors, settings_of
    from bot.storage.stores import Storage

    settings = settings_of(ctx)
    with clear_errors():
        storage = Storage.from_url(settings.database)
        try:
            found = storage.collections.history(customer)
        finally:
            storage.close()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "history": [
                        {
                            "at": h.at.isoformat(),
                            "customer": h.customer_id,
                            "kind": h.kind,
                            "invoice": h.invoice,
                            "step": h.step,
                            "by": h.by,
                            "detail": h.detail,
                        }
                        for h in found
                    ]
                },
                ensure_ascii=False,
            )
        )
        return
    if not found:
        click.echo("nothing sent, clicked or confirmed yet")
        return
    rows = [("at", "customer", "what", "invoice", "step", "by", "detail")]
    rows += [
        (
            h.at.isoformat(timespec="seconds"),
            h.customer_id,
            h.kind,
            h.invoice,
            h.step,
            h.by,
            h.detail,
        )
        for h in found
    ]
    _table(rows)
