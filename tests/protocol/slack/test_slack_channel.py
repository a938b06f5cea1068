"""`SlackChannel` against the fake Slack Web API: what each outbox event becomes, and how
Slack's refusals reach the dispatcher."""

from __future__ import annotations

import dataclasses

import pytest
from slack_desk import CHANNEL
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import CLAIM, RESOLVE
from adapters.slack.channel import SlackChannel
from bot.channel import Channel, OutboxEvent, Outgoing
from bot.errors import DeliveryError, RetryLater

TICKET = {
    "number": "BILL-1001",
    "customer_id": "contoso",
    "category": "billing_dispute",
    "route": "partner_billing",
    "status": "open",
    "assignee": None,
    "question": "Why was I charged twice for Business Standard?",
    "transcript": [
        {
            "author": "customer",
            "text": "Charged twice?",
            "at": "2026-11-24T10:00:00+00:00",
            "internal": False,
        },
        {
            "author": "agent:Maeve",
            "text": "checking the CSV",
            "at": "2026-11-24T10:05:00+00:00",
            "internal": True,
        },
    ],
    "evidence": ["invoices.csv:12 NW-2026-0477 Microsoft 365 Business Standard x 30"],
}
CATEGORIES = [("billing_dispute", "Billing dispute"), ("refund_request", "Refund request")]


@pytest.fixture
def channel(fake_slack):
    client = AsyncWebClient(token="xoxb-test", base_url=fake_slack.api_url)
    return SlackChannel(client, CHANNEL, CATEGORIES)


def outgoing(event, body, conversation=""):
    return Outgoing(
        key=f"BILL-1001:{event}",
        channel="slack",
        conversation=conversation,
        event=OutboxEvent(event),
        body=body,
    )


async def test_a_retried_ticket_post_adopts_the_post_an_earlier_attempt_made(channel, fake_slack):
    # The first attempt reached Slack, then its process died before recording the `ts`.
    first = await channel.deliver(outgoing("ticket_opened", {"ticket": TICKET}))
    [post] = fake_slack.called("chat.postMessage")
    assert post["metadata"]["event_payload"] == {
        "ticket": "BILL-1001",
        "delivery": "BILL-1001:ticket_opened",
    }

    retried = dataclasses.replace(outgoing("ticket_opened", {"ticket": TICKET}), attempt=2)
    again = await channel.deliver(retried)

    assert again.reference == first.reference
    assert len(fake_slack.called("chat.postMessage")) == 1  # not posted twice


async def test_a_retry_whose_earlier_attempts_never_reached_slack_posts(channel, fake_slack):
    retried = dataclasses.replace(outgoing("ticket_opened", {"ticket": TICKET}), attempt=3)
    delivered = await channel.deliver(retried)
    [post] = fake_slack.called("chat.postMessage")
    assert delivered.reference and "BILL-1001" in post["text"]


def test_it_is_a_channel_named_slack(channel):
    assert isinstance(channel, Channel)
    assert channel.name == "slack"


async def test_a_new_ticket_is_posted_in_the_escalations_channel(channel, fake_slack):
    delivered = await channel.deliver(outgoing("ticket_opened", {"ticket": TICKET}))
    [post] = fake_slack.called("chat.postMessage")
    assert post["channel"] == CHANNEL
    assert delivered.reference and delivered.reference.startswith("1700000000.")
    assert "BILL-1001" in post["text"]
    rendered = str(post["blocks"])
    for fact in (
        "contoso",
        "partner_billing",
        "charged twice",
        "checking the CSV",
        "(internal)",
        "NW-2026-0477",
    ):
        assert fact in rendered
    actions = next(b for b in post["blocks"] if b["type"] == "actions")
    kinds = [e["action_id"] for e in actions["elements"]]
    assert kinds[:2] == [CLAIM, RESOLVE]
    menu = actions["elements"][2]
    assert menu["initial_option"]["value"] == "BILL-1001|billing_dispute"
    assert [o["value"] for o in menu["options"]] == [
        "BILL-1001|billing_dispute",
        "BILL-1001|refund_request",
    ]


async def test_an_update_rewrites_the_threads_parent_post(channel, fake_slack):
    claimed = {**TICKET, "status": "claimed", "assignee": "Maeve"}
    delivered = await channel.deliver(outgoing("ticket_updated", {"ticket": claimed}, "1700.01"))
    [update] = fake_slack.called("chat.update")
    assert (update["channel"], update["ts"]) == (CHANNEL, "1700.01")
    assert delivered.reference == "1700.01"
    actions = next(b for b in update["blocks"] if b["type"] == "actions")
    assert CLAIM not in [e["action_id"] for e in actions["elements"]]  # already claimed
    assert "Maeve" in str(update["blocks"])


async def test_a_resolved_ticket_loses_its_buttons(channel, fake_slack):
    resolved = {**TICKET, "status": "resolved"}
    await channel.deliver(outgoing("ticket_updated", {"ticket": resolved}, "1700.01"))
    [update] = fake_slack.called("chat.update")
    assert all(b["type"] != "actions" for b in update["blocks"])


async def test_a_customer_message_goes_into_the_thread(channel, fake_slack):
    body = {"number": "BILL-1001", "author": "customer", "text": "Any news?"}
    await channel.deliver(outgoing("customer_message", body, "1700.01"))
    [post] = fake_slack.called("chat.postMessage")
    assert post["thread_ts"] == "1700.01"
    assert "Any news?" in post["text"]


async def test_rate_limiting_asks_the_dispatcher_to_wait(channel, fake_slack):
    fake_slack.fail_next("chat.postMessage", 429, **{"Retry-After": "17"})
    with pytest.raises(RetryLater) as refused:
        await channel.deliver(outgoing("ticket_opened", {"ticket": TICKET}))
    assert refused.value.retry_after == 17.0


async def test_other_refusals_are_delivery_errors_naming_the_message(channel, fake_slack):
    fake_slack.fail_next("chat.update", 500)
    with pytest.raises(DeliveryError, match="BILL-1001:ticket_updated") as refused:
        await channel.deliver(outgoing("ticket_updated", {"ticket": TICKET}, "1700.01"))
    assert not isinstance(refused.value, RetryLater)


async def test_a_thread_message_without_a_thread_is_refused(channel, fake_slack):
    body = {"number": "BILL-1001", "author": "customer", "text": "Any news?"}
    with pytest.raises(DeliveryError, match="no Slack thread"):
        await channel.deliver(outgoing("customer_message", body, ""))
    assert fake_slack.calls == []


async def test_an_unreachable_slack_is_a_delivery_error():
    client = AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/")
    channel = SlackChannel(client, CHANNEL, CATEGORIES)
    with pytest.raises(DeliveryError, match="unreachable"):
        await channel.deliver(outgoing("ticket_opened", {"ticket": TICKET}))


async def test_a_rate_limited_post_is_retried_by_the_dispatcher_and_not_lost(desk):
    desk.slack.fail_next("chat.postMessage", 429, **{"Retry-After": "0"})
    desk.slack.fail_next("chat.postMessage", 503)
    ticket = await desk.posted(await desk.open_ticket())
    posts = desk.slack.called("chat.postMessage")
    assert len(posts) == 3  # 429, 503, then delivered once
    assert ticket.thread.startswith("1700000000.")
    [entry] = [e for e in desk.store.outbox.entries() if e.event == "ticket_opened"]
    assert (entry.status, entry.attempts) == ("delivered", 3)
