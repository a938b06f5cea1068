"""Billing data is for the partner's own people: guests (customers are often invited as
guests) and Slack Connect users from other organisations get nothing from the desk, and
`/billing` can be limited to a few channels."""

from __future__ import annotations

import json

from slack_desk import CHANNEL, DeskServer, eventually

from adapters.slack.blocks import CLAIM
from adapters.slack.mount import slack_mount

GUEST, EXTERNAL = "UGUEST01", "UEXTERN1"  # see fake_slack.OUTSIDERS


async def test_a_guest_gets_no_customer_data_from_billing(desk):
    await desk.command("customer Contoso", user=GUEST)
    [(_, reply)] = await eventually(lambda: desk.slack.responses)
    text = json.dumps(reply["blocks"])
    assert "Only members of the partner's workspace" in text
    assert "Contoso" not in text


async def test_an_outsiders_thread_reply_never_reaches_the_customer(desk):
    ticket = await desk.posted(await desk.open_ticket())
    await desk.thread_reply(ticket, "Sure, here is a refund", user=EXTERNAL)
    await desk.thread_reply(ticket, "An agent's real answer")
    await eventually(lambda: len(desk.store.get(ticket.number).transcript) == 2)
    authors = [(e.author, e.text) for e in desk.store.get(ticket.number).transcript]
    assert authors[-1] == ("agent:Maeve", "An agent's real answer")
    assert "Sure, here is a refund" not in [text for _, text in authors]


async def test_an_outsider_cannot_claim_a_ticket(desk):
    ticket = await desk.posted(await desk.open_ticket())
    await desk.click(
        {"action_id": CLAIM, "type": "button", "value": ticket.number}, ticket, user=EXTERNAL
    )
    [note] = await eventually(lambda: desk.slack.called("chat.postEphemeral"))
    assert note["user"] == EXTERNAL and "Only members" in note["text"]
    assert desk.store.get(ticket.number).assignee is None


async def test_billing_answers_only_in_the_allowed_channels(
    start_server, teams, fake_slack, slack_settings
):
    limited = slack_settings.model_copy(update={"slack_command_channels": f" {CHANNEL} ,C0OTHER"})
    mounts = [teams, slack_mount(fake_slack.api_url)]
    async with start_server(mounts=mounts, settings=limited) as server:
        desk = DeskServer(server, fake_slack)
        await desk.command("customer Contoso")  # from the agent's DM, D0AGENT01
        [(_, reply)] = await eventually(lambda: desk.slack.responses)
    assert "not available in this channel" in json.dumps(reply["blocks"])
