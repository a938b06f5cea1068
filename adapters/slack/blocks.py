"""Block Kit for the agents: a ticket post with its buttons, thread lines, the App Home
queue and `/billing` lookups. Pure functions from plain values to JSON-able dicts.

A ticket is rendered from its snapshot (`Ticket.to_json()`, the outbox body of
"ticket_opened" / "ticket_updated"), so a post always shows the ticket as it was queued.
Their words come from the catalogs in `bot.locale`, in the desk's language (SLACK_LANGUAGE,
English by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.locale import N_, SOURCE_LANGUAGE, plural_translator, translator
from bot.tickets.status import UNCLAIMED, WORDS, Status

CLAIM = "ticket_claim"
RESOLVE = "ticket_resolve"
CATEGORY = "ticket_category"
RELEASE = "ticket_release"  # claimed -> open: the agent hands it back to the queue
WAIT = "ticket_wait"  # claimed -> waiting on customer: the agent asked the customer something
ACTIONS = (CLAIM, RESOLVE, CATEGORY, RELEASE, WAIT)

TEXT_LIMIT = 2900  # Slack refuses section text over 3000 characters
TRANSCRIPT_LINES = 12
EVIDENCE_LINES = 6
STATUS_EMOJI = {
    Status.OPEN: ":red_circle:",
    Status.CLAIMED: ":large_yellow_circle:",
    Status.WAITING_ON_CUSTOMER: ":hourglass:",
    Status.RESOLVED: ":white_check_mark:",
    Status.REOPENED: ":red_circle:",
}

# Who wrote a transcript line, as the ticket stores it (an agent is "agent:<name>").
SPEAKERS = {"customer": N_("customer"), "bot": N_("bot")}

Block = dict[str, Any]


def status_words(status: Status, language: str = SOURCE_LANGUAGE) -> str:
    """ ":red_circle: open": the status as agents read it."""
    return f"{STATUS_EMOJI[status]} {translator(language)(WORDS[status])}"


def ticket_text(ticket: Mapping[str, Any], language: str = SOURCE_LANGUAGE) -> str:
    """The plain-text fallback (notifications, screen readers)."""
    _ = translator(language)
    return _("{number} ({status}) from {customer}: {question}").format(
        number=ticket["number"],
        status=ticket["status"],
        customer=ticket["customer_id"],
        question=_clip(str(ticket["question"]), 200),
    )


def ticket_blocks(
    ticket: Mapping[str, Any],
    categories: Sequence[tuple[str, str]],
    language: str = SOURCE_LANGUAGE,
) -> list[Block]:
    """The escalation post: facts, question, transcript, evidence, then the buttons.

    `categories` are (id, name) pairs for the "Change category" menu.
    """
    _, ngettext = translator(language), plural_translator(language)
    number = str(ticket["number"])
    status = Status(ticket["status"])
    assignee = ticket.get("assignee") or _("nobody yet")
    blocks: list[Block] = [
        {"type": "header", "text": _plain(f"{number}: {ticket['category']}")},
        {
            "type": "section",
            "fields": [
                _md(field(_("Customer"), ticket["customer_id"])),
                _md(field(_("Status"), status_words(status, language))),
                _md(field(_("Category"), ticket["category"])),
                _md(field(_("Route"), ticket["route"])),
                _md(field(_("Assignee"), assignee)),
            ],
        },
        {
            "type": "section",
            "text": _md(field(_("Question"), _quote(str(ticket["question"])))),
        },
    ]
    transcript = list(ticket.get("transcript") or [])
    if transcript:
        shown = transcript[-TRANSCRIPT_LINES:]
        lines = [_transcript_line(entry, language) for entry in shown]
        if len(transcript) > len(shown):
            count = len(transcript) - len(shown)
            earlier = ngettext("…{count} earlier line", "…{count} earlier lines", count)
            earlier = earlier.format(count=count)
            lines.insert(0, f"_{earlier}_")
        text = field(_("Transcript"), "\n".join(lines))
        blocks.append({"type": "section", "text": _md(text)})
    evidence = [str(e) for e in ticket.get("evidence") or []]
    if evidence:
        lines = [f"• {_clip(e, 300)}" for e in evidence[:EVIDENCE_LINES]]
        blocks.append(section(field(_("What the bot considered"), "\n".join(lines))))
    if status != Status.RESOLVED:
        elements = _buttons(ticket, categories, language)
        blocks.append({"type": "actions", "block_id": f"ticket:{number}", "elements": elements})
    hint = _("Reply in this thread to answer the customer in Teams; start with `!note` for a note.")
    blocks.append({"type": "context", "elements": [_md(hint)]})
    return blocks


def payment_claim_line(body: Mapping[str, Any], language: str = SOURCE_LANGUAGE) -> str:
    """A customer clicked "I've paid" on a reminder: for an agent to confirm."""
    _ = translator(language)
    return _(
        '{customer} says invoice {invoice} is paid ("I\'ve paid" on a reminder, by {by}); '
        "reminders for it are stopped until the next invoice import. Please confirm the payment."
    ).format(
        customer=body.get("customer", ""),
        invoice=body.get("invoice", ""),
        by=body.get("by") or _("the customer"),
    )


def customer_line(body: Mapping[str, Any], language: str = SOURCE_LANGUAGE) -> str:
    """A customer's message, posted into the ticket's thread."""
    _ = translator(language)
    said = _("*Customer* on {number}:").format(number=body["number"])
    return f":speech_balloon: {said}\n{_quote(str(body['text']))}"


def _buttons(
    ticket: Mapping[str, Any], categories: Sequence[tuple[str, str]], language: str
) -> list[Block]:
    _ = translator(language)
    number = str(ticket["number"])
    elements: list[Block] = []
    status = Status(ticket["status"])
    if status in UNCLAIMED:
        elements.append(
            {
                "type": "button",
                "action_id": CLAIM,
                "text": _plain(_("Claim")),
                "value": number,
                "style": "primary",
            }
        )
    if status == Status.CLAIMED:
        elements.append(
            {
                "type": "button",
                "action_id": WAIT,
                "text": _plain(_("Wait on customer")),
                "value": number,
            }
        )
        elements.append(
            {
                "type": "button",
                "action_id": RELEASE,
                "text": _plain(_("Release")),
                "value": number,
            }
        )
    elements.append(
        {
            "type": "button",
            "action_id": RESOLVE,
            "text": _plain(_("Resolve")),
            "value": number,
            "confirm": {
                "title": _plain(_("Resolve {number}?").format(number=number)),
                "text": _plain(_("The customer is asked whether this solved the problem.")),
                "confirm": _plain(_("Resolve")),
                "deny": _plain(_("Cancel")),
            },
        }
    )
    options = [
        {"text": _plain(_clip(name, 75)), "value": f"{number}|{cid}"}
        for cid, name in categories[:100]
    ]
    if options:
        select: Block = {
            "type": "static_select",
            "action_id": CATEGORY,
            "placeholder": _plain(_("Change category")),
            "options": options,
        }
        current = next((o for o in options if o["value"] == f"{number}|{ticket['category']}"), None)
        if current is not None:
            select["initial_option"] = current
        elements.append(select)
    return elements


def _transcript_line(entry: Mapping[str, Any], language: str = SOURCE_LANGUAGE) -> str:
    _ = translator(language)
    author = str(entry.get("author", "?"))
    who = author.removeprefix("agent:") if author.startswith("agent:") else author
    if author in SPEAKERS:
        who = _(SPEAKERS[author])
    note = " " + italic("(" + _("internal") + ")") if entry.get("internal") else ""
    return f"*{who}*{note}: {_clip(str(entry.get('text', '')), 400)}"


def field(label: str, value: object) -> str:
    """A bold label over its value (mrkdwn)."""
    return f"{bold(label)}\n{value}"


def bold(text: str) -> str:
    return f"*{text}*"


def italic(text: str) -> str:
    return f"_{text}_"


def section(text: str) -> Block:
    return {"type": "section", "text": _md(_clip(text, TEXT_LIMIT))}


def _md(text: str) -> Block:
    return {"type": "mrkdwn", "text": _clip(text, TEXT_LIMIT)}


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": _clip(text, 150), "emoji": True}


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in _clip(text, 1500).splitlines() or [""])


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
