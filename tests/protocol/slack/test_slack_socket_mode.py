"""Socket Mode (SLACK_APP_TOKEN set): no public route, the same listeners over a websocket
that the fake Slack opens through apps.connections.open."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from slack_desk import AGENT, CHANNEL, DeskServer, eventually

from adapters.slack.mount import slack_mount


@pytest.fixture
async def socket_desk(start_server, teams, fake_slack, slack_settings):
    settings = slack_settings.model_copy(
        update={"slack_app_token": SecretStr("xapp-1-test"), "slack_signing_secret": SecretStr("")}
    )
    async with start_server(
        mounts=[teams, slack_mount(fake_slack.api_url)], settings=settings
    ) as server:
        yield DeskServer(server, fake_slack)


async def test_thread_replies_and_commands_arrive_over_the_socket(socket_desk):
    desk, slack = socket_desk, socket_desk.slack
    await eventually(lambda: slack.socket_connected)
    route = await desk.bot.http.post(desk.bot.url + "/slack/events", data=b"{}")
    assert route.status == 404  # nothing to expose publicly

    ticket = await desk.posted(await desk.open_ticket())
    event = {
        "type": "message",
        "channel": CHANNEL,
        "user": AGENT,
        "text": "On it.",
        "ts": "1800000000.000777",
        "thread_ts": ticket.thread,
    }
    body = {
        "type": "event_callback",
        "team_id": "T0001",
        "api_app_id": "A0001",
        "event_id": "EvSOCKET01",
        "event_time": 1,
        "event": event,
    }
    await slack.push("events_api", body, envelope_id="env-1")
    await eventually(lambda: any(a.get("envelope_id") == "env-1" for a in slack.acks))
    replied = await eventually(lambda: (t := desk.store.get(ticket.number)).assignee and t)
    assert replied.transcript[-1].text == "On it."

    command = {
        "command": "/billing",
        "text": "customer contoso",
        "user_id": AGENT,
        "channel_id": "D0AGENT01",
        "team_id": "T0001",
        "response_url": slack.response_url("socket"),
    }
    await slack.push("slash_commands", command, envelope_id="env-2")
    await eventually(lambda: any(a.get("envelope_id") == "env-2" for a in slack.acks))
    [(name, reply)] = await eventually(lambda: slack.responses)
    assert name == "socket" and "Open balance" in str(reply["blocks"])
