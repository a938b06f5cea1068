"""Rendering and reading without a server: cards from replies, messages from activity JSON.

These are the adapter's pure halves (no SDK involved), pinned on cases the conversation tests
do not reach: long tables, repeated sources, Teams' tenant quirk, mentions.
"""

from __future__ import annotations

import pytest
from fakes.cards import buttons, texts
from fakes.teams import TeamsUser

from adapters.teams.activities import (
    conversation_reference,
    message_from_activity,
    message_from_card_action,
    wants_welcome,
)
from adapters.teams.cards import MAX_TABLE_ROWS, notice_card, reply_card
from bot.channel import OutboxEvent
from bot.types import Citation, Reply, ReplyKind, Table, TicketInfo

USER = TeamsUser(service_url="https://smba.trafficmanager.net/emea/", app_id="app")


def test_a_long_invoice_table_is_cut_with_a_note() -> None:
    rows = tuple((f"NW-{n}", "EUR 1.00") for n in range(MAX_TABLE_ROWS + 5))
    card = reply_card(
        Reply("Your invoices.", ReplyKind.INVOICE, table=Table(("Invoice", "Total"), rows))
    )

    (table,) = [e for e in card["body"] if e["type"] == "Table"]
    assert len(table["rows"]) == 1 + MAX_TABLE_ROWS  # header + the first rows
    assert "… and 5 more rows." in texts(card)


def test_a_source_cited_twice_is_listed_once() -> None:
    cite = Citation("Payment terms", "When is payment due?", "articles/payment-terms.md")
    card = reply_card(Reply("Within 30 days.", ReplyKind.ANSWER, citations=(cite, cite)))

    listed = [t for t in texts(card) if t.endswith("(articles/payment-terms.md)")]
    assert listed == ["Payment terms › When is payment due? (articles/payment-terms.md)"]
    assert buttons(card)["Yes"]["data"]["about"] == "articles/payment-terms.md#When is payment due?"


def test_not_sure_offers_a_person_but_no_rating() -> None:
    card = reply_card(Reply("I'm not sure.", ReplyKind.NOT_SURE), question="Can I pay in bitcoin?")

    assert set(buttons(card)) == {"Talk to a person"}
    assert buttons(card)["Talk to a person"]["data"]["question"] == "Can I pay in bitcoin?"


def test_a_ticket_confirmation_shows_number_status_and_expected_reply() -> None:
    ticket = TicketInfo(
        "BILL-1007", "dispute", "billing", "open", "Expect a reply within 4 business hours."
    )
    card = reply_card(Reply("I've opened ticket BILL-1007.", ReplyKind.ESCALATE, ticket=ticket))

    (facts,) = [e["facts"] for e in card["body"] if e["type"] == "FactSet"]
    assert {f["title"]: f["value"] for f in facts} == {
        "Ticket": "BILL-1007",
        "Status": "open",
        "Expected reply": "Expect a reply within 4 business hours.",
    }


def test_events_meant_for_the_agents_have_no_teams_rendering() -> None:
    with pytest.raises(ValueError, match="ticket_updated"):
        notice_card(OutboxEvent.TICKET_UPDATED, {"number": "BILL-1"})


def test_the_tenant_comes_from_channel_data_first() -> None:
    activity = USER.message("hi")
    activity["conversation"].pop("tenantId")  # what botbuilder 4.17 leaves you with

    message = message_from_activity(activity)

    assert message.tenant_id == USER.tenant
    assert message.user_id == USER.aad_object_id  # the stable Entra id, not the per-bot id
    assert (message.channel, message.conversation, message.locale) == (
        "teams",
        USER.conversation,
        "en-IE",
    )
    assert message.event_id == activity["id"]


def test_mentions_are_stripped_from_typed_text() -> None:
    message = message_from_activity(
        USER.message("<at>Northwind Billing</at> when is my invoice due? ")
    )

    assert message.text == "when is my invoice due?"


def test_an_execute_click_carries_its_data_as_the_message_value() -> None:
    data = {"action": "solved", "ticket": "BILL-1", "solved": True}

    message = message_from_card_action(USER.execute(data))

    assert message.value == data and message.text == ""


def test_welcome_only_when_the_bot_arrives() -> None:
    assert wants_welcome(USER.installed())
    assert wants_welcome(USER.bot_added())
    assert not wants_welcome(USER.user_added())
    uninstalled = USER.installed()
    uninstalled["action"] = "remove"
    assert not wants_welcome(uninstalled)


def test_the_stored_reference_has_what_a_proactive_send_needs() -> None:
    reference = conversation_reference(USER.message("hi"))

    assert reference["serviceUrl"] == USER.service_url
    assert reference["conversation"]["id"] == USER.conversation
    assert reference["conversation"]["tenantId"] == USER.tenant
    assert reference["bot"]["id"] == "28:app"
    assert reference["user"]["id"] == USER.user_id
    assert reference["channelId"] == "msteams"
