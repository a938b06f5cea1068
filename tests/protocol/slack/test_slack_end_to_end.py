"""A customer in Teams and an agent in Slack, through the real server, the outbox and the
dispatcher, with the fake Bot Connector and the fake Slack Web API on either side."""

from __future__ import annotations

import json

from slack_desk import CHANNEL, eventually

from adapters.slack.blocks import RESOLVE


async def test_a_teams_escalation_is_answered_and_resolved_from_slack(desk):
    customer = desk.bot.user()
    cloud, slack = desk.bot.cloud, desk.slack

    # 1. The customer asks for something only a person can do: a ticket opens.
    asked = await desk.bot.post(customer.message("I want to dispute invoice NW-2026-0477"))
    assert asked.status in (200, 201)
    ticket = await eventually(lambda: desk.store.open_ticket_for("teams", customer.conversation))

    # 2. The dispatcher posts it in the escalations channel; the post's ts becomes the thread.
    [post] = await eventually(lambda: slack.called("chat.postMessage"))
    assert post["channel"] == CHANNEL and ticket.number in post["text"]
    ticket = await desk.posted(ticket)

    # 3. The agent answers in the thread: the answer reaches the customer in Teams.
    await desk.thread_reply(ticket, "I've registered the dispute; the amount is on hold.")
    reply = await eventually(
        lambda: [c for c in cloud.sent(customer.conversation) if "on hold" in json.dumps(c.body)]
    )
    assert "Maeve replied on " + ticket.number in json.dumps(reply[0].body)

    # 4. The customer writes again: it goes to the thread, not to the bot's answering.
    await desk.bot.post(customer.message("Thanks! The credit note should go to finance@."))
    relayed = await eventually(
        lambda: [p for p in slack.called("chat.postMessage") if p.get("thread_ts") == ticket.thread]
    )
    assert "finance@" in relayed[0]["text"]

    # 5. Resolve: the customer is asked whether it helped.
    await desk.click({"action_id": RESOLVE, "type": "button", "value": ticket.number}, ticket)
    asked_back = await eventually(
        lambda: [
            c
            for c in cloud.sent(customer.conversation)
            if "Did this solve your problem?" in json.dumps(c.body)
        ]
    )
    assert ticket.number in json.dumps(asked_back[0].body)
    assert desk.store.get(ticket.number).status == "resolved"
    final = await eventually(
        lambda: [u for u in slack.called("chat.update") if "resolved" in json.dumps(u["blocks"])]
    )
    assert all(b["type"] != "actions" for b in final[-1]["blocks"])
