"""`billing-bot report`: the resolution report on the terminal, as JSON, or as one HTML page."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from bot.cli import clear_errors, settings_of
from bot.report.outcomes import NAMES, NotServed, Outcome

DEFAULT_DAYS = 28


def _midnight(day: date, timezone: str) -> datetime:
    """The instant `day` starts in `timezone`."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


@click.command()
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help=(
        f"First day of the episodes reported (the partner's time zone, partner.yaml; "
        f"default: {DEFAULT_DAYS} days before --until)."
    ),
)
@click.option(
    "--until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Last day of the episodes reported, included (the partner's time zone; default: today).",
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
    ambiguous, escalated and not served episodes; votes and why the 👎, unanswered questions,
    articles, agents' reply times and payment reminders."""
    from bot.report.figures import gather
    from bot.report.folder import read_folder
    from bot.report.page import render_html
    from bot.retrieval.embedder import make_embedder
    from bot.storage.stores import Storage

    settings = settings_of(ctx)
    language = settings.agent_language
    with clear_errors():
        facts = read_folder(settings.knowledge_dir, language)
    zone = facts.hours.timezone
    last = until.date() if until else datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    first = since.date() if since else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise click.UsageError("--since must be on or before --until")
    start, end = _midnight(first, zone), _midnight(last + timedelta(days=1), zone)
    with clear_errors(), Storage.from_url(settings.database) as storage:
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
    total, zone = data["total"], ZoneInfo(data["timezone"])
    first = datetime.fromisoformat(data["since"]).astimezone(zone).date()
    last = (datetime.fromisoformat(data["until"]) - timedelta(microseconds=1)).astimezone(zone)
    click.echo(f"Episodes from {first} to {last.date()} ({data['timezone']}): {total['episodes']}")
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
    up = sum(week["helpful"] for week in data["votes"])
    down = sum(week["unhelpful"] for week in data["votes"])
    why = ", ".join(f"{reason} {n}" for reason, n in data["unhelpful_reasons"].items())
    click.echo(f"votes on answers: {up} up, {down} down; down by reason: {why}")
    unanswered = data["unanswered"]
    click.echo(f"unanswered questions: {unanswered['questions']}")
    for group in unanswered["groups"][:10]:
        click.echo(f"  {group['asked']:5}x {group['question']}  (nearest: {group['nearest']})")
