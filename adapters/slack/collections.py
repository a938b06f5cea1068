"""Block Kit of the collections desk: the daily digest (`bot.collections.digest` body) with
its buttons, and the `/billing overdue|due` tables. Pure functions, in the desk's language.

Buttons (values name what they act on):

    collections_pause_7 / _14 / _30   customer id   no reminders to the customer for N days
    collections_resume                customer id   end an agent's pause today
    collections_confirm               invoice       confirm a customer's "I've paid"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from adapters.slack.blocks import Block, bold, italic, section
from bot.collections.desk import DeskAnswer, step_name
from bot.collections.digest import overdue_of
from bot.knowledge.partner import StepKind
from bot.locale import SOURCE_LANGUAGE, formats, plural_translator, translator

PAUSE_DAYS = (7, 14, 30)
PAUSE = re.compile(r"^collections_pause_(7|14|30)$")
RESUME = "collections_resume"
CONFIRM = "collections_confirm"
# Slack takes at most 50 blocks a message: lists longer than these end in "...and N more".
MAX_OVERDUE = 12  # two blocks each (the line, its pause buttons)
MAX_CLAIMS = 6
MAX_PAUSED = 4
TEXT_LIMIT = 2900  # a section's text (Slack refuses over 3000 characters)
MAX_BLOCKS = 50  # 15 fixed blocks + 2 x 12 + 6 + 4 + 1 = 49 at most


def pause_action(days: int) -> str:
    return f"collections_pause_{days}"


ACTIONS = (*(pause_action(days) for days in PAUSE_DAYS), RESUME, CONFIRM)


def _day(iso: str, language: str) -> str:
    return formats.short_day(date.fromisoformat(iso), language)


def _amounts(amounts: Mapping[str, str], language: str) -> str:
    return ", ".join(
        formats.money(Decimal(amount), currency, language) for currency, amount in amounts.items()
    )


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _more(count: int, language: str) -> Block:
    _ = translator(language)
    return {
        "type": "context",
        "elements": [
            {
                "type": "mrkdwn",
                "text": _("…and {count} more: `/billing overdue` lists them all.").format(
                    count=count
                ),
            }
        ],
    }


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 1] + "…"


def digest_text(body: Mapping[str, Any], language: str = SOURCE_LANGUAGE) -> str:
    """The plain-text fallback (notifications, screen readers)."""
    _, ngettext = translator(language), plural_translator(language)
    overdue, suspensions, claims = (
        len(overdue_of(body)),
        len(body["suspensions"]),
        len(body["claims"]),
    )
    counts = (
        ngettext("{count} customer overdue", "{count} customers overdue", overdue),
        ngettext("{count} suspension due", "{count} suspensions due", suspensions),
        ngettext("{count} payment claim to confirm", "{count} payment claims to confirm", claims),
    )
    return _("Collections digest for {date}: {counts}.").format(
        date=_day(str(body["day"]), language),
        counts=", ".join(
            text.format(count=n)
            for text, n in zip(counts, (overdue, suspensions, claims), strict=True)
        ),
    )


def digest_blocks(body: Mapping[str, Any], language: str = SOURCE_LANGUAGE) -> list[Block]:
    """The digest post: a summary, then each list; buttons per customer and per claim."""
    _ = translator(language)
    day = _day(str(body["day"]), language)
    totals: dict[str, Decimal] = {}
    for customer in overdue_of(body):
        for currency, amount in customer["amounts"].items():
            totals[currency] = totals.get(currency, Decimal(0)) + Decimal(amount)
    title = _("Collections digest, {date}").format(date=day)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title}},
        section(digest_text(body, language)),
    ]
    blocks.append({"type": "divider"})
    if overdue_of(body):
        total = _amounts({cur: str(totals[cur]) for cur in sorted(totals)}, language)
        blocks.append(section(bold(_("Overdue")) + " · " + total))
    else:
        blocks.append(section(bold(_("Overdue")) + "\n" + italic(_("No customer is overdue."))))
    blocks += _overdue_lines(body, language)
    blocks += _suspension_blocks(body, language)
    blocks += _claim_blocks(body, language)
    blocks.append(_unreachable_block(body, language))
    blocks += _paused_blocks(body, language)
    return blocks[:MAX_BLOCKS]


def _overdue_lines(body: Mapping[str, Any], language: str) -> list[Block]:
    """One line and its pause buttons per overdue customer (up to MAX_OVERDUE)."""
    _ = translator(language)
    blocks: list[Block] = []
    unreachable = {c["customer"] for c in body["unreachable"]}
    for customer in overdue_of(body)[:MAX_OVERDUE]:
        step = (
            step_name(StepKind(customer["step"]), language)
            if customer["step"]
            else _("no step yet")
        )
        line = _(
            "*{name}* (`{customer}`): {amounts} · {invoices} · {days} days overdue · "
            "step reached: {step}"
        ).format(
            name=customer["name"],
            customer=customer["customer"],
            amounts=_amounts(customer["amounts"], language),
            invoices=", ".join(customer["invoices"]),
            days=customer["days"],
            step=step,
        )
        if customer["customer"] in unreachable:
            line += " · :no_mobile_phones: " + _("cannot be reached in Teams")
        blocks.append(section(_clip(line)))
        blocks.append(
            {
                "type": "actions",
                "block_id": f"collections:{customer['customer']}",
                "elements": [
                    _button(
                        _("Pause {days} days").format(days=days),
                        pause_action(days),
                        str(customer["customer"]),
                    )
                    for days in PAUSE_DAYS
                ],
            }
        )
    if len(overdue_of(body)) > MAX_OVERDUE:
        blocks.append(_more(len(overdue_of(body)) - MAX_OVERDUE, language))
    return blocks


def _steps(items: list[Mapping[str, Any]], language: str) -> str:
    """One line per customer's suspension step, or "none"."""
    _ = translator(language)
    lines = []
    for item in items:
        when = _day(str(item["on"]), language)
        what = _("since {date}") if item["since"] else _("on {date}")
        lines.append(
            f"• *{item['name']}* (`{item['customer']}`) {item['invoice']}: "
            + what.format(date=when)
        )
    return "\n".join(lines) or italic(_("none"))


def _suspension_blocks(body: Mapping[str, Any], language: str) -> list[Block]:
    """Suspensions due, then the suspension notices of the digest's period."""
    _ = translator(language)
    day, until = _day(str(body["day"]), language), _day(str(body["until"]), language)
    return [
        {"type": "divider"},
        section(
            _clip(
                bold(_("Suspension due (for an agent to act on in Partner Center)"))
                + "\n"
                + _steps(body["suspensions"], language)
            )
        ),
        section(
            _clip(
                bold(_("Suspension notices from {start} to {end}").format(start=day, end=until))
                + "\n"
                + _steps(body["suspension_notices"], language)
            )
        ),
    ]


def _claim_blocks(body: Mapping[str, Any], language: str) -> list[Block]:
    """The "I've paid" claims, each with its confirm button (up to MAX_CLAIMS)."""
    _ = translator(language)
    blocks: list[Block] = [{"type": "divider"}]
    blocks.append(section(bold(_('"I\'ve paid" claims awaiting confirmation'))))
    if not body["claims"]:
        blocks.append(section(italic(_("none"))))
    for claim in body["claims"][:MAX_CLAIMS]:
        line = _("*{name}* (`{customer}`) says {invoice} is paid ({by}, {date})").format(
            name=claim["name"],
            customer=claim["customer"],
            invoice=claim["invoice"],
            by=claim["by"],
            date=formats.short_day(date.fromisoformat(str(claim["at"])[:10]), language),
        )
        block = section(_clip(line))
        block["accessory"] = _button(
            _("Confirm payment"), CONFIRM, str(claim["invoice"]), "primary"
        )
        blocks.append(block)
    if len(body["claims"]) > MAX_CLAIMS:
        blocks.append(_more(len(body["claims"]) - MAX_CLAIMS, language))
    return blocks


def _unreachable_block(body: Mapping[str, Any], language: str) -> Block:
    """The customers the bot cannot reach (no Teams conversation yet)."""
    _ = translator(language)
    names = [f"*{c['name']}* (`{c['customer']}`)" for c in body["unreachable"]]
    return section(
        _clip(
            bold(_("Cannot be reached (no Teams conversation yet)"))
            + "\n"
            + (", ".join(names) or italic(_("none")))
        )
    )


def _paused_blocks(body: Mapping[str, Any], language: str) -> list[Block]:
    """The customers whose reminders are paused, each with its resume button."""
    _ = translator(language)
    blocks: list[Block] = []
    if body["paused"]:
        blocks.append({"type": "divider"})
        blocks.append(section(bold(_("Reminders paused"))))
    for paused in body["paused"][:MAX_PAUSED]:
        until_text = (
            _("until {date}").format(date=_day(str(paused["until"]), language))
            if paused["until"]
            else _("until resumed")
        )
        block = section(
            _clip(
                f"*{paused['name']}* (`{paused['customer']}`) "
                + until_text
                + (f" · {paused['by']}" if paused["by"] else "")
            )
        )
        block["accessory"] = _button(_("Resume"), RESUME, str(paused["customer"]))
        blocks.append(block)
    if len(body["paused"]) > MAX_PAUSED:
        blocks.append(_more(len(body["paused"]) - MAX_PAUSED, language))
    return blocks


def answer_blocks(answer: DeskAnswer) -> list[Block]:
    """A desk answer (`/billing overdue|due`): its sentence, then its table."""
    blocks = [section(_clip(answer.text))]
    if answer.table is not None:
        rows = [" | ".join(answer.table.columns)] + [" | ".join(r) for r in answer.table.rows]
        blocks.append(section(_clip("```" + "\n".join(rows) + "```")))
    return blocks
