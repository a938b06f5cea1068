"""Block Kit for the weekly post of the resolution report (outbox event "weekly_report",
body from `bot.report.weekly.week_figures`): confirmed and assumed resolutions side by side,
never added, then the other outcomes, escalations by route, the votes on answers and why the
customers gave a thumbs-down. In the desk's language (SLACK_LANGUAGE)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.locale import SOURCE_LANGUAGE, plural_translator, translator
from bot.reasons import NAMES as REASON_NAMES
from bot.reasons import Reason
from bot.report.outcomes import NAMES, Outcome

Block = dict[str, Any]


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{100 * rate:.0f}%"


def report_text(body: Mapping[str, Any], language: str = SOURCE_LANGUAGE) -> str:
    """The notification's plain text (and the fallback where blocks are not shown)."""
    ngettext = plural_translator(language)
    total = body["total"]
    return ngettext(
        "Billing bot, week of {week}: confirmed resolved {confirmed}, assumed resolved "
        "{assumed} (shown apart, never added), {episodes} episode.",
        "Billing bot, week of {week}: confirmed resolved {confirmed}, assumed resolved "
        "{assumed} (shown apart, never added), {episodes} episodes.",
        total["episodes"],
    ).format(
        week=body["week"],
        confirmed=_percent(total["rates"]["confirmed"]),
        assumed=_percent(total["rates"]["assumed"]),
        episodes=total["episodes"],
    )


def report_blocks(body: Mapping[str, Any], language: str = SOURCE_LANGUAGE) -> list[Block]:
    _, ngettext = translator(language), plural_translator(language)
    total = body["total"]
    counts, rates = total["counts"], total["rates"]

    def outcome(o: Outcome) -> str:
        return _("*{name}*: {rate} ({count})").format(
            name=_(NAMES[o]), rate=_percent(rates[o.value]), count=counts[o.value]
        )

    headline = [
        {"type": "mrkdwn", "text": outcome(Outcome.CONFIRMED)},
        {"type": "mrkdwn", "text": outcome(Outcome.ASSUMED)},
    ]
    others = "\n".join(
        outcome(o) for o in (Outcome.AMBIGUOUS, Outcome.ESCALATED, Outcome.NOT_SERVED)
    )
    routes = "\n".join(
        _("{route}: {episodes}").format(route=r.get("name") or r["route"], episodes=r["episodes"])
        for r in body["escalated"]
    )
    # The reasons given (none: a post queued before they were sent, or no thumbs-down).
    reasons = "\n".join(
        _("{reason}: {count}").format(
            reason=_(REASON_NAMES[Reason(key)]) if key in REASON_NAMES else _("No reason given"),
            count=count,
        )
        for key, count in (body.get("unhelpful_reasons") or {}).items()
        if count
    )
    votes = body["votes"]
    notes = [
        ngettext(
            "Week of {week} ({timezone}), {episodes} episode. Confirmed: the customer said "
            "so. Assumed: an answer, then silence; shown beside confirmed, never added to it.",
            "Week of {week} ({timezone}), {episodes} episodes. Confirmed: the customer said "
            "so. Assumed: an answer, then silence; shown beside confirmed, never added to it.",
            total["episodes"],
        ).format(week=body["week"], timezone=body["timezone"], episodes=total["episodes"]),
        _(
            "Provisional (less than {days} days old, what follows may still change them): "
            "{provisional}. Answers rated: {up} helpful, {down} not helpful."
        ).format(
            provisional=total["provisional"],
            days=body["follow_up_days"],
            up=votes["helpful"],
            down=votes["unhelpful"],
        ),
    ]
    blocks: list[Block] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _("Billing bot, week of {week}").format(week=body["week"]),
            },
        },
        {"type": "section", "fields": headline},
        {"type": "section", "text": {"type": "mrkdwn", "text": others}},
    ]
    if routes:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _("*Escalated, by route*") + "\n" + routes},
            }
        )
    if reasons:
        heading = _("*Thumbs-down on answers, by reason*")
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{heading}\n{reasons}"}}
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": n} for n in notes]})
    return blocks
