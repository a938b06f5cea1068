"""Block Kit for the agents: a ticket post with its buttons, thread lines, the App Home
queue and `/billing` lookups. Pure functions from plain values to JSON-able dicts.

A ticket is rendered from its snapshot (`Ticket.to_json()`, the outbox body of
"ticket_opened" / "ticket_updated"), so a post always shows the ticket as it was queued.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.tickets.status import UNCLAIMED, Status

CLAIM = "ticket_claim"
RESOLVE = "ticket_resolve"
CATEGORY = "ticket_category"
RELEASE = "ticket_release"  # claimed -> open: the agent hands it back to the queue
WAIT = "ticket_wait"  # claimed -> waiting on customer: the agent asked the customer something
ACTIONS = (CLAIM, RESOLVE, CATEGORY, RELEASE, WAIT)

TEXT_LIMIT = 2900  # Slack refuses section text over 3000 characters
TRANSCRIPT_LINES = 12
EVIDENCE_LINES = 6
STATUS_WORDS = {
    "open": ":red_circle: open",
    "claimed": ":large_yellow_circle: claimed",
    "waiting_on_customer": ":hourglass: waiting on customer",
    "resolved": ":white_check_mark: resolved",
    "reopened": ":red_circle: reopened",
}

Block = dict[str, Any]


def ticket_text(ticket: Mapping[str, Any]) -> str:
    """The plain-text fallback (notifications, screen readers)."""
    return (
        f"{ticket['number']} ({ticket['status']}) from {ticket['customer_id']}: "
        f"{_clip(str(ticket['question']), 200)}"
    )


def ticket_blocks(ticket: Mapping[str, Any], categories: Sequence[tuple[str, str]]) -> list[Block]:
    """The escalation post: facts, question, transcript, evidence, then the buttons.

    `categories` are (id, name) pairs for the "Change category" menu.
    """
    number = str(ticket["number"])
    status = str(ticket["status"])
    assignee = ticket.get("assignee") or "nobody yet"
    blocks: list[Block] = [
        {"type": "header", "text": _plain(f"{number}: {ticket['category']}")},
        {
            "type": "section",
            "fields": [
                _md(f"*Customer*\n{ticket['customer_id']}"),
                _md(f"*Status*\n{STATUS_WORDS.get(status, status)}"),
                _md(f"*Category*\n{ticket['category']}"),
                _md(f"*Route*\n{ticket['route']}"),
                _md(f"*Assignee*\n{assignee}"),
            ],
        },
        {"type": "section", "text": _md(f"*Question*\n{_quote(str(ticket['question']))}")},
    ]
    transcript = list(ticket.get("transcript") or [])
    if transcript:
        shown = transcript[-TRANSCRIPT_LINES:]
        lines = [_transcript_line(entry) for entry in shown]
        if len(transcript) > len(shown):
            lines.insert(0, f"_…{len(transcript) - len(shown)} earlier lines_")
        blocks.append({"type": "section", "text": _md("*Transcript*\n" + "\n".join(lines))})
    evidence = [str(e) for e in ticket.get("evidence") or []]
    if evidence:
        lines = [f"• {_clip(e, 300)}" for e in evidence[:EVIDENCE_LINES]]
        blocks.append(section("*What the bot considered*\n" + "\n".join(lines)))
    if status != "resolved":
        elements = _buttons(ticket, categories)
        blocks.append({"type": "actions", "block_id": f"ticket:{number}", "elements": elements})
    hint = "Reply in this thread to answer the customer in Teams; start with `!note` for a note."
    blocks.append({"type": "context", "elements": [_md(hint)]})
    return blocks


def customer_line(body: Mapping[str, Any]) -> str:
    """A customer's message, posted into the ticket's thread."""
    return f":speech_balloon: *Customer* on {body['number']}:\n{_quote(str(body['text']))}"


def _buttons(ticket: Mapping[str, Any], categories: Sequence[tuple[str, str]]) -> list[Block]:
    number = str(ticket["number"])
    elements: list[Block] = []
    status = Status(ticket["status"])
    if status in UNCLAIMED:
        elements.append(
            {
                "type": "button",
                "action_id": CLAIM,
                "text": _plain("Claim"),
                "value": number,
                "style": "primary",
            }
        )
    if status == Status.CLAIMED:
        elements.append(
            {
                "type": "button",
                "action_id": WAIT,
                "text": _plain("Wait on customer"),
                "value": number,
            }
        )
        elements.append(
            {"type": "button", "action_id": RELEASE, "text": _plain("Release"), "value": number}
        )
    elements.append(
        {
            "type": "button",
            "action_id": RESOLVE,
            "text": _plain("Resolve"),
            "value": number,
            "confirm": {
                "title": _plain(f"Resolve {number}?"),
                "text": _plain("The customer is asked whether this solved the problem."),
                "confirm": _plain("Resolve"),
                "deny": _plain("Cancel"),
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
            "placeholder": _plain("Change category"),
            "options": options,
        }
        current = next((o for o in options if o["value"] == f"{number}|{ticket['category']}"), None)
        if current is not None:
            select["initial_option"] = current
        elements.append(select)
    return elements


def _transcript_line(entry: Mapping[str, Any]) -> str:
    author = str(entry.get("author", "?"))
    who = author.removeprefix("agent:") if author.startswith("agent:") else author
    note = " _(internal)_" if entry.get("internal") else ""
    return f"*{who}*{note}: {_clip(str(entry.get('text', '')), 400)}"


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
