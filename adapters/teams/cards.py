"""Render the core's replies and ticket notices as Adaptive Cards (schema 1.5), as plain dicts.

Buttons carry `bot.types.Action` payloads. Answer cards use `Action.Submit`: the card stays as
it is and the bot's reply arrives as a new message, so the answer is never lost. Their "No"
is an `Action.ShowCard` that asks why, one submit button per reason (`bot.reasons`). The "did this
solve your problem?" card uses `Action.Execute` (Universal Actions): Teams replaces the card
with the one the bot returns, so the question cannot be answered twice; hosts without
Universal Actions (the Bot Framework Emulator) fall back to `Action.Submit`.

The card's own words (buttons, labels) come from the catalogs in `bot.locale`, in the
language of the reply (`Reply.language`) or, for a notice, of the conversation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.channel import LATE, OutboxEvent
from bot.locale import N_, SOURCE_LANGUAGE, Translator, formats, plural_translator, translator
from bot.reasons import NAMES, Reason
from bot.tickets.status import WORDS, Status
from bot.types import Action, Citation, Reply, ReplyKind, Table, TicketInfo

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.5"
MAX_TABLE_ROWS = 25  # a chat card is not a spreadsheet; the rest is summarised in a line
MAX_ABOUT = 120  # characters of answer text kept in a feedback payload

Card = dict[str, Any]

# Replies the customer can rate, and replies that offer a human.
_RATED = {ReplyKind.ANSWER, ReplyKind.INVOICE}
_OFFERS_PERSON = {ReplyKind.ANSWER, ReplyKind.INVOICE, ReplyKind.NOT_SURE, ReplyKind.OUT_OF_SCOPE}
# A ticket's status as a customer reads it: the agents' words, but for these.
STATUS_NAMES = {
    **WORDS,
    Status.CLAIMED: N_("with an agent"),
    Status.WAITING_ON_CUSTOMER: N_("waiting for your answer"),
}


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    result: Card = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "msteams": {"width": "Full"},
        "body": body,
    }
    if actions:
        result["actions"] = actions
    return result


def attachment(content: Card) -> dict[str, Any]:
    """The activity attachment that carries a card."""
    return {"contentType": CARD_CONTENT_TYPE, "content": content}


def invoke_response_body(content: Card) -> dict[str, Any]:
    """Body of the HTTP answer to an `adaptiveCard/action` invoke: the card that replaces it."""
    return {"statusCode": 200, "type": CARD_CONTENT_TYPE, "value": content}


def reply_card(reply: Reply, question: str = "") -> Card:
    """The card for one core reply: text, invoice table, ticket, sources and buttons.

    `question` is what the customer asked; "Talk to a person" carries it to the ticket.
    """
    _ = translator(reply.language)
    body: list[dict[str, Any]] = [text_block(reply.text)]
    if reply.table is not None:
        body.extend(table_elements(reply.table, reply.language))
    if reply.ticket is not None:
        body.append(ticket_facts(reply.ticket, reply.language))
    if reply.citations:
        body.append(sources(reply.citations, reply.language))
    actions: list[dict[str, Any]] = []
    if reply.kind in _RATED:
        about = feedback_about(reply)
        body.append(text_block(_("Was this helpful?"), subtle=True, spacing="Medium"))
        actions.append(
            submit(_("Yes"), {"action": str(Action.FEEDBACK), "helpful": True, "about": about})
        )
        actions.append(why_not(about, reply.language))
    if reply.kind in _OFFERS_PERSON:
        person: dict[str, Any] = {"action": str(Action.TALK_TO_PERSON)}
        if question:
            person["question"] = question
        actions.append(submit(_("Talk to a person"), person))
    return card(body, actions)


def outgoing_card(
    event: OutboxEvent, body: Mapping[str, Any], language: str = SOURCE_LANGUAGE
) -> Card:
    """The card for an outbox row addressed to a customer: the bot's reply to a message (in
    its own language), an agent's reply, or a resolution (in `language`, the
    conversation's)."""
    if event == OutboxEvent.REPLY:
        reply = Reply.from_json(body["reply"])
        shown = reply_card(reply, str(body.get("question") or ""))
        language = reply.language
    elif event == OutboxEvent.PAYMENT_REMINDER:
        language = str(body.get("language") or language)
        shown = reminder_card(body, language)
    else:
        shown = notice_card(event, body, language)
    if body.get(LATE):
        shown["body"].insert(0, late_notice(str(body[LATE]), language))
    return shown


_REMINDER_HEADINGS = {
    "courtesy": N_("Invoice {number} is due soon"),
    "reminder": N_("Payment reminder: invoice {number}"),
    "suspension_notice": N_("Suspension notice: invoice {number}"),
    "suspension": N_("Final notice: invoice {number}"),
}


def reminder_card(body: Mapping[str, Any], language: str = SOURCE_LANGUAGE) -> Card:
    """A collections step (`bot.collections.run`): the invoice's figures, what happens next
    (the bot's own sentence, fixed when it was queued), how to pay (the payment article,
    cited), and three buttons: I've paid, Dispute this invoice, Talk to a person."""
    _ = translator(language)
    number = str(body["invoice"])
    heading = _REMINDER_HEADINGS.get(str(body.get("kind")), _REMINDER_HEADINGS["reminder"])
    late = int(body.get("days_overdue") or 0)
    facts = [
        {"title": _("Invoice"), "value": number},
        {
            "title": _("Amount"),
            "value": formats.money(Decimal(str(body["amount"])), str(body["currency"]), language),
        },
        {
            "title": _("Due date"),
            "value": formats.day(date.fromisoformat(str(body["due_date"])), language),
        },
    ]
    if late > 0:
        facts.append({"title": _("Days overdue"), "value": str(late)})
    elements: list[dict[str, Any]] = [
        text_block(_(heading).format(number=number), weight="Bolder", size="Medium"),
        {"type": "FactSet", "facts": facts},
    ]
    if body.get("outlook"):
        elements.append(text_block(str(body["outlook"]), spacing="Medium"))
    pay = body.get("pay")
    if isinstance(pay, Mapping):
        elements.append(text_block(_("How to pay"), weight="Bolder", spacing="Medium"))
        elements.append(text_block(str(pay.get("text") or "")))
        elements.append(
            sources(
                (Citation(str(pay["title"]), str(pay.get("section") or ""), str(pay["path"])),),
                language,
            )
        )
    elements.append(
        text_block(
            _("Already paid, or something wrong with this invoice? Tell us below."),
            subtle=True,
            spacing="Medium",
        )
    )
    actions = [
        submit(_("I've paid"), {"action": str(Action.INVOICE_PAID), "invoice": number}),
        submit(
            _("Dispute this invoice"), {"action": str(Action.DISPUTE_INVOICE), "invoice": number}
        ),
        submit(
            _("Talk to a person"),
            {
                "action": str(Action.TALK_TO_PERSON),
                "question": _("About invoice {number}").format(number=number),
            },
        ),
    ]
    return card(elements, actions)


def late_notice(queued: str, language: str) -> dict[str, Any]:
    """The line before a message that waited for the customer's return (see
    `bot.delivery.outbox`, held rows): when it was written."""
    _ = translator(language)
    written = datetime.fromisoformat(queued).date()
    return text_block(
        _("Sorry for the delay: I could not reach you when I wrote this, on {day}.").format(
            day=formats.day(written, language)
        ),
        subtle=True,
    )


def notice_card(
    event: OutboxEvent, body: Mapping[str, Any], language: str = SOURCE_LANGUAGE
) -> Card:
    """A proactive message about a ticket: an agent's reply or a resolution."""
    _ = translator(language)
    number = str(body.get("number") or _("your ticket"))
    agent = str(body.get("agent") or "")
    text = str(body.get("text") or "")
    if event == OutboxEvent.AGENT_REPLY:
        heading = (
            _("{agent} replied on {number}").format(agent=agent, number=number)
            if agent
            else _("Reply on {number}").format(number=number)
        )
        return card([text_block(heading, weight="Bolder"), text_block(text)])
    if event == OutboxEvent.TICKET_RESOLVED:
        heading = (
            _("{number} was resolved by {agent}").format(number=number, agent=agent)
            if agent
            else _("{number} was resolved").format(number=number)
        )
        elements = [text_block(heading, weight="Bolder")]
        if text:
            elements.append(text_block(text))
        elements.append(text_block(_("Did this solve your problem?"), spacing="Medium"))
        actions = [
            execute(
                _("Yes, solved"), {"action": str(Action.SOLVED), "ticket": number, "solved": True}
            ),
            execute(
                _("No, reopen it"),
                {"action": str(Action.SOLVED), "ticket": number, "solved": False},
            ),
        ]
        return card(elements, actions)
    raise ValueError(f"no Teams rendering for outbox event {event!r}")


def shown_texts(content: Card) -> list[str]:
    """Every text the card shows, in order: text blocks, table cells, facts, button titles
    (and the card a ShowCard button opens)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.extend(
                node[k] for k in ("text", "title", "value") if isinstance(node.get(k), str)
            )
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(content["body"])
    for action in content.get("actions", []):
        found.append(action["title"])
        if "card" in action:  # a ShowCard's own card, shown when the button is clicked
            found.extend(shown_texts(action["card"]))
    return found


def feedback_about(reply: Reply) -> str:
    """What a vote is about: the first source if there is one, otherwise the answer's start."""
    if reply.citations:
        first = reply.citations[0]
        return f"{first.path}#{first.section}" if first.section else first.path
    return reply.text[:MAX_ABOUT]


def why_not(about: str, language: str = SOURCE_LANGUAGE) -> dict[str, Any]:
    """The "No" button: it opens "Why not?" in the card, one button per fixed reason, each
    submitting the 👎 with its `reason` (`bot.reasons`), so the report can count them."""
    _ = translator(language)
    vote = {"action": str(Action.FEEDBACK), "helpful": False, "about": about}
    return {
        "type": "Action.ShowCard",
        "title": _("No"),
        "card": card(
            [text_block(_("Why not?"), subtle=True)],
            [submit(_(NAMES[r]), {**vote, "reason": r.value}) for r in Reason],
        ),
    }


def text_block(text: str, *, subtle: bool = False, **extra: Any) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "TextBlock", "text": text, "wrap": True}
    if subtle:
        block["isSubtle"] = True
    block.update(extra)
    return block


def sources(citations: tuple[Citation, ...], language: str = SOURCE_LANGUAGE) -> dict[str, Any]:
    _ = translator(language)
    items: list[dict[str, Any]] = [
        text_block(_("Sources"), weight="Bolder", size="Small", spacing="Medium")
    ]
    seen: set[Citation] = set()
    for citation in citations:
        if citation in seen:
            continue
        seen.add(citation)
        label = f"{citation.title} › {citation.section}" if citation.section else citation.title
        items.append(
            text_block(f"{label} ({citation.path})", subtle=True, size="Small", spacing="None")
        )
    return {"type": "Container", "items": items}


def table_elements(table: Table, language: str = SOURCE_LANGUAGE) -> list[dict[str, Any]]:
    """An Adaptive Card `Table` (1.5), first row as header; long tables are cut with a note."""
    ngettext = plural_translator(language)
    rows = table.rows[:MAX_TABLE_ROWS]
    header = _table_row(table.columns, bold=True)
    element = {
        "type": "Table",
        "firstRowAsHeader": True,
        "showGridLines": False,
        "columns": [{"width": 1} for _ in table.columns],
        "rows": [header, *(_table_row(row) for row in rows)],
    }
    elements: list[dict[str, Any]] = [element]
    if len(table.rows) > len(rows):
        more = len(table.rows) - len(rows)
        note = ngettext("… and {count} more row.", "… and {count} more rows.", more)
        note = note.format(count=more)
        elements.append(text_block(note, subtle=True, size="Small"))
    return elements


def _table_row(cells: tuple[str, ...], *, bold: bool = False) -> dict[str, Any]:
    extra: dict[str, Any] = {"weight": "Bolder"} if bold else {}
    return {
        "type": "TableRow",
        "cells": [
            {"type": "TableCell", "items": [text_block(cell, size="Small", **extra)]}
            for cell in cells
        ],
    }


def ticket_facts(ticket: TicketInfo, language: str = SOURCE_LANGUAGE) -> dict[str, Any]:
    _ = translator(language)
    facts = [
        {"title": _("Ticket"), "value": ticket.number},
        {"title": _("Status"), "value": status_name(ticket.status, _)},
    ]
    if ticket.expected_reply:
        facts.append({"title": _("Expected reply"), "value": ticket.expected_reply})
    return {"type": "FactSet", "facts": facts, "spacing": "Medium"}


def status_name(status: Status, _: Translator) -> str:
    return _(STATUS_NAMES[status])


def submit(title: str, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "Action.Submit", "title": title, "data": dict(data)}


def execute(title: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A Universal Action; falls back to `Action.Submit` with the same payload."""
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": str(data["action"]),
        "data": dict(data),
        "fallback": submit(title, data),
    }
