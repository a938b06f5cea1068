"""The report as one self-contained HTML page, in the agent language: its styles inline, its
charts inline SVG (`bot.report.svg`), no script, and a Content-Security-Policy that forbids
loading anything, so the page opens offline, sends nothing anywhere and prints as shown.

The headline shows the confirmed resolution rate, and the assumed rate beside it, never
added to it; the definitions of every outcome are on the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from html import escape
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent

from bot.locale import N_, formats, translator
from bot.reasons import NAMES as REASON_NAMES
from bot.reasons import Reason
from bot.report.figures import Report, Tally
from bot.report.outcomes import (
    DEFINITIONS,
    EPISODE_DEFINITION,
    NAMES,
    REASONS,
    NotServed,
    Outcome,
)
from bot.report.svg import bars, stacked_bars

HEADLINE_NOTE = N_(
    "The headline is the confirmed rate; the assumed rate is shown beside it and never added to it."
)
TOPIC_NOTE = N_(
    "The topic of an episode is the article its first answer cites, the invoice look-up it "
    "asked for, or the ticket category."
)
AGENTS_NOTE = N_(
    "In business hours (the support hours and holidays of partner.yaml), for the tickets "
    "opened in the period."
)
UNANSWERED_NOTE = N_(
    "{count} questions in the period, grouped by meaning; card numbers, IBANs, e-mail "
    "addresses and phone numbers are masked."
)

# Nothing may be fetched: no script, font, image, frame or connection.
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #212121; margin: 2em auto; max-width: 980px; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 1.8em; font-size: 1.2em;
     border-bottom: 1px solid #bdbdbd; }
.period { color: #555; }
.headline { display: flex; gap: 2em; margin: 1.2em 0; }
.figure { border: 2px solid #1b5e20; padding: 0.6em 1em; border-radius: 6px; }
.figure.beside { border-color: #9e9e9e; }
.figure .value { font-size: 2.2em; font-weight: 700; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.85em; }
th, td { border: 1px solid #bdbdbd; padding: 0.25em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
dt { font-weight: 700; margin-top: 0.5em; }
.note { color: #555; font-size: 0.9em; }
svg.chart text { font-family: inherit; fill: #212121; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; }
               table, svg { break-inside: avoid; } }
"""


class Page:
    def __init__(self, report: Report, language: str, partner: str) -> None:
        self.r = report
        self.lang = language
        self.partner = partner
        self._ = translator(language)

    # -- formatting ---------------------------------------------------------------------
    def pct(self, share: float | None) -> str:
        return "–" if share is None else format_percent(share, "#,##0.0 %", locale=self.lang)

    def num(self, value: float | None) -> str:
        return "–" if value is None else format_decimal(value, "#,##0.#", locale=self.lang)

    def name(self, key: str) -> str:
        return self.r.names.get(key, key) or "–"

    def reason(self, key: str) -> str:
        """A 👎's reason as the agents read it (`UNSTATED`: the customer gave none)."""
        if key in REASON_NAMES:
            return self._(REASON_NAMES[Reason(key)])
        return self._("No reason given")

    def day(self, value: date) -> str:
        return formats.day(value, self.lang)

    def table(self, table_id: str, head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
        nothing = self._("Nothing in this period.")
        if not rows:
            return f'<p id="{table_id}" class="note">{escape(nothing)}</p>'
        cells = "".join(f"<th>{escape(h)}</th>" for h in head)
        body = []
        for row in rows:
            body.append(
                "<tr>"
                + "".join(
                    f'<td class="n">{escape(self.num(v))}</td>'
                    if isinstance(v, int | float)
                    else f"<td>{escape(str(v))}</td>"
                    for v in row
                )
                + "</tr>"
            )
        return (
            f'<table id="{table_id}"><thead><tr>{cells}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>"
        )

    @staticmethod
    def h2(text: str) -> str:
        return f"<h2>{escape(text)}</h2>"

    @staticmethod
    def note(text: str) -> str:
        return f'<p class="note">{escape(text)}</p>'

    def tally_rows(self, rows: Sequence[tuple[str, Tally]]) -> list[list[object]]:
        return [
            [
                label or "–",
                tally.total,
                *(f"{tally.count(o)} ({self.pct(tally.rate(o))})" for o in Outcome),
                tally.provisional,
            ]
            for label, tally in rows
        ]

    def weekly_rows(self, rows: Sequence[tuple[str, str, Tally]]) -> list[list[object]]:
        return [[week, *self.tally_rows([(key, tally)])[0]] for week, key, tally in rows]

    def tally_head(self, first: str) -> list[str]:
        _ = self._
        return [first, _("Episodes"), *(_(NAMES[o]) for o in Outcome), _("Provisional")]

    # -- sections -----------------------------------------------------------------------
    def headline(self) -> str:
        _, total = self._, self.r.total
        confirmed, assumed = total.rate(Outcome.CONFIRMED), total.rate(Outcome.ASSUMED)
        of = _("{count} of {total} episodes")
        provisional = _("Provisional outcomes in this period: {count}.").format(
            count=total.provisional
        )
        return f"""
<section id="headline" class="headline">
  <div class="figure"><div>{escape(_(NAMES[Outcome.CONFIRMED]))}</div>
    <div class="value">{escape(self.pct(confirmed))}</div>
    <div>{escape(of.format(count=total.count(Outcome.CONFIRMED), total=total.total))}</div>
    <p class="note">{escape(_(DEFINITIONS[Outcome.CONFIRMED]))}</p></div>
  <div class="figure beside"><div>{escape(_(NAMES[Outcome.ASSUMED]))}</div>
    <div class="value">{escape(self.pct(assumed))}</div>
    <div>{escape(of.format(count=total.count(Outcome.ASSUMED), total=total.total))}</div>
    <p class="note">{escape(_(DEFINITIONS[Outcome.ASSUMED]))}</p></div>
</section>
<p class="note">{escape(_(HEADLINE_NOTE))}
{escape(provisional)}</p>"""

    def definitions(self) -> str:
        _ = self._
        items = "".join(
            f"<dt>{escape(_(NAMES[o]))}</dt><dd>{escape(_(DEFINITIONS[o]))}</dd>" for o in Outcome
        )
        return (
            self.h2(_("Definitions")) + f'<dl id="definitions">{items}</dl>'
            f'<p class="note">{escape(_(EPISODE_DEFINITION))}</p>'
        )

    def weeks(self) -> str:
        _ = self._
        labels = [_(NAMES[o]) for o in Outcome]
        chart = stacked_bars(
            "chart-weeks",
            _("Episodes per week by outcome"),
            [(week, [t.count(o) for o in Outcome]) for week, t in self.r.weeks],
            labels,
        )
        return (
            self.h2(_("Outcomes per week"))
            + chart
            + self.table(
                "table-weeks", self.tally_head(_("Week of")), self.tally_rows(self.r.weeks)
            )
        )

    def breakdowns(self) -> str:
        _ = self._
        not_served = [
            [_(REASONS[reason]), self.r.not_served.get(reason, 0)] for reason in NotServed
        ]
        escalated = [
            [self.name(f"route:{route}"), self.name(f"category:{cat}"), n]
            for route, cat, n in self.r.escalated
        ]
        return (
            self.h2(_("By language"))
            + self.table(
                "table-languages",
                self.tally_head(_("Language")),
                self.tally_rows(self.r.by_language),
            )
            + self.table(
                "table-weeks-languages",
                [_("Week of"), *self.tally_head(_("Language"))],
                self.weekly_rows(self.r.weeks_by_language),
            )
            + self.h2(_("By topic"))
            + self.note(_(TOPIC_NOTE))
            + self.table(
                "table-topics", self.tally_head(_("Topic")), self.tally_rows(self.r.by_topic)
            )
            + self.table(
                "table-weeks-topics",
                [_("Week of"), *self.tally_head(_("Topic"))],
                self.weekly_rows(self.r.weeks_by_topic),
            )
            + self.h2(_("Not served, by reason"))
            + self.table("table-not-served", [_("Reason"), _("Episodes")], not_served)
            + self.h2(_("Escalated, by route and category"))
            + self.table("table-escalated", [_("Route"), _("Category"), _("Episodes")], escalated)
        )

    def agents(self) -> str:
        _ = self._
        head = [
            _("Route"),
            _("Tickets"),
            _("First reply, median (h)"),
            _("First reply, p90 (h)"),
            _("Resolved, median (h)"),
            _("Resolved, p90 (h)"),
        ]

        def row(label: str, t: object) -> list[object]:
            from bot.report.figures import RouteTimes

            assert isinstance(t, RouteTimes)
            return [
                label,
                t.tickets,
                self.num(t.first_reply.median),
                self.num(t.first_reply.p90),
                self.num(t.resolve.median),
                self.num(t.resolve.p90),
            ]

        chart = bars(
            "chart-agents",
            _("Median business hours to the first agent reply, per route"),
            [
                (self.name(f"route:{t.route}"), round(t.first_reply.median or 0.0, 1))
                for t in self.r.agents
            ],
            unit=" h",
        )
        weekly = [
            [week, *row(self.name(f"route:{t.route}"), t)] for week, t in self.r.agents_weekly
        ]
        return (
            self.h2(_("Agents’ reply times per route"))
            + self.note(_(AGENTS_NOTE))
            + chart
            + self.table(
                "table-agents", head, [row(self.name(f"route:{t.route}"), t) for t in self.r.agents]
            )
            + self.table("table-agents-weekly", [_("Week of"), *head], weekly)
        )

    def feedback(self) -> str:
        _ = self._
        chart = stacked_bars(
            "chart-votes",
            _("Votes on answers per week"),
            [(week, [up, down]) for week, up, down in self.r.votes],
            [_("Thumbs up"), _("Thumbs down")],
        )
        return (
            self.h2(_("Votes on answers"))
            + chart
            + self.table(
                "table-votes",
                [_("Week of"), _("Thumbs up"), _("Thumbs down")],
                [list(v) for v in self.r.votes],
            )
            + self.note(_("Why the customers gave a thumbs-down:"))
            + self.table(
                "table-unhelpful-reasons",
                [_("Reason"), _("Thumbs down")],
                [[self.reason(k), n] for k, n in self.r.reasons.items()]
                if any(self.r.reasons.values())
                else [],
            )
            + self.note(_("What the answers given a thumbs-down were about:"))
            + self.table(
                "table-unhelpful",
                [_("Answer"), _("Thumbs down")],
                [list(v) for v in self.r.unhelpful],
            )
        )

    def unanswered(self) -> str:
        _ = self._
        rows = [[g.question, g.asked, g.wordings, g.nearest or "–"] for g in self.r.unanswered]
        return (
            self.h2(_("Questions it could not answer: what to write next"))
            + self.note(_(UNANSWERED_NOTE).format(count=self.r.unanswered_total))
            + self.table(
                "table-unanswered",
                [_("Question"), _("Asked"), _("Wordings"), _("Nearest article")],
                rows,
            )
        )

    def articles(self) -> str:
        _ = self._
        chart = bars("chart-articles", _("Articles cited most"), [(a, n) for a, n in self.r.cited])
        never = "".join(f"<li>{escape(a)}</li>" for a in self.r.never_cited)
        return (
            self.h2(_("Articles cited most"))
            + chart
            + self.table(
                "table-cited", [_("Article"), _("Answers")], [list(c) for c in self.r.cited]
            )
            + self.h2(_("Articles never cited"))
            + (
                f'<ul id="list-never-cited">{never}</ul>'
                if never
                else self.table("list-never-cited", [], [])
            )
        )

    def reminders(self) -> str:
        _ = self._
        rows = [
            [r.week, r.sent, r.paid_within_7_days, r.claimed_paid_within_7_days]
            for r in self.r.reminders
        ]
        return self.h2(_("Payment reminders")) + self.table(
            "table-reminders",
            [
                _("Week of"),
                _("Reminders sent"),
                _("Paid within 7 days"),
                _("“I’ve paid” within 7 days"),
            ],
            rows,
        )

    def render(self) -> str:
        _ = self._
        title = _("Resolution report")
        zone = ZoneInfo(self.r.timezone)
        period = _(
            "Episodes started from {since} to {until} (weeks and days in {timezone}); "
            "computed {now}."
        ).format(
            since=self.day(self.r.since.astimezone(zone).date()),
            until=self.day((self.r.until - timedelta(microseconds=1)).astimezone(zone).date()),
            timezone=self.r.timezone,
            now=self.day(self.r.now.astimezone(zone).date()),
        )
        return f"""<!DOCTYPE html>
<html lang="{escape(self.lang)}"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{POLICY}">
<title>{escape(title)} · {escape(self.partner)}</title><style>{STYLE}</style></head>
<body><h1>{escape(title)} · {escape(self.partner)}</h1><p class="period">{escape(period)}</p>
{self.headline()}{self.definitions()}{self.weeks()}{self.breakdowns()}{self.agents()}
{self.feedback()}{self.unanswered()}{self.articles()}{self.reminders()}
</body></html>
"""


def render_html(report: Report, *, language: str, partner: str) -> str:
    return Page(report, language, partner).render()
