"""`billing-bot report`: the resolution report on the terminal, as JSON, or as one HTML page."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from bot.cli import clear_errors, settings_of
from bot.report.outcomes import NAMES, NotServed, Outcome

DEFAULT_DAYS = 28


def _day(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


@click.command()
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help=f"First day of the episodes reported (UTC; default: {DEFAULT_DAYS} days before --until).",
)
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day of the episodes reported, included (UTC; default: today).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the report as one self-contained HTML page (in AGENT_LANGUAGE).",
)
@click.pass_context
def report(
    ctx: click.Context,
    since: datetime | None,
    until: datetime | None,
    as_json: bool,
    html_file: Path | None,
) -> None:
    """What the bot resolved, per week: confirmed and assumed resolutions (never added),
    ambiguous, escalated and not served episodes; votes, unanswered questions, articles,
    agents' reply times and payment reminders."""
    from bot.report.figures import gather
    from bot.report.folder import read_folder
    from bot.report.page import render_html
    from bot.retrieval.embedder import make_embedder
    from bot.storage import Storage

    settings = settings_of(ctx)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = (_day(until) or today) + timedelta(days=1)
    start = _day(since) or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise click.UsageError("--since must be on or before --until")
    language = settings.agent_language
    with clear_errors():
        facts = read_folder(settings.knowledge_dir, language)
        with Storage.from_url(settings.database) as storage:
            found = gather(
                storage.db,
                since=start,
                until=end,
                hours=facts.hours,
                articles=facts.articles,
                embedder=make_embedder(settings.embedding_model),
                names=facts.names,
            )
    if html_file is not None:
        html_file.write_text(
            render_html(found, language=language, partner=facts.partner), encoding="utf-8"
        )
    if as_json:
        click.echo(json.dumps(found.to_json(), ensure_ascii=False))
    elif html_file is None:
        _print(found.to_json())
    else:
        click.echo(f"wrote {html_file}")


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _print(data: dict[str, Any]) -> None:
    total = data["total"]
    last = (datetime.fromisoformat(data["until"]) - timedelta(microseconds=1)).date()
    click.echo(f"Episodes from {data['since'][:10]} to {last} (UTC): {total['episodes']}")
    click.echo(
        f"  confirmed resolved {_rate(total['rates']['confirmed'])} "
        f"({total['counts']['confirmed']})   "
        f"assumed resolved, never added: {_rate(total['rates']['assumed'])} "
        f"({total['counts']['assumed']})"
    )
    click.echo(
        f"  provisional (less than {data['follow_up_days']} days old): {total['provisional']}"
    )
    head = "  ".join(f"{NAMES[o]:>18}" for o in Outcome)
    click.echo(f"{'week of':10}  {head}")
    for week in data["weeks"]:
        cells = "  ".join(
            f"{week['counts'][o.value]:>8} {_rate(week['rates'][o.value]):>9}" for o in Outcome
        )
        click.echo(f"{week['week']:10}  {cells}")
    reasons = ", ".join(f"{r.value} {data['not_served'][r.value]}" for r in NotServed)
    click.echo(f"not served: {reasons}")
    for row in data["escalated"]:
        click.echo(f"escalated: {row['route']} / {row['category']}: {row['episodes']}")
    for times in data["agents"]:
        first, resolve = times["first_reply"], times["resolve"]
        click.echo(
            f"agents, {times['route']}: {times['tickets']} tickets; first reply median "
            f"{first['median_hours']} h, p90 {first['p90_hours']} h; resolved median "
            f"{resolve['median_hours']} h, p90 {resolve['p90_hours']} h (business hours)"
        )
    unanswered = data["unanswered"]
    click.echo(f"unanswered questions: {unanswered['questions']}")
    for group in unanswered["groups"][:10]:
        click.echo(f"  {group['asked']:5}x {group['question']}  (nearest: {group['nearest']})")
