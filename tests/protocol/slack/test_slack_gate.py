"""What reaches the desk: only requests signed by Slack, for this app in this workspace,
whose fields have the types the desk reads. Everything else is a 4xx (a 200 that does
nothing for kinds of request the desk does not handle) and one log line, never a 5xx or a
traceback."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.parse

import pytest
from fake_slack import APP, TEAM
from slack_desk import AGENT, CHANNEL, SECRET, DeskServer, eventually, signature

from adapters.slack.blocks import CLAIM
from adapters.slack.mount import slack_mount


def _refusal_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("refused POST /slack/events")]


def _no_traceback(caplog: pytest.LogCaptureFixture) -> bool:
    return all(r.exc_info is None and "\n" not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("where", "value"), [("team_id", "T0999"), ("api_app_id", "A0999"), ("team_id", None)]
)
async def test_an_event_for_another_workspace_or_app_is_refused_and_has_no_effect(
    desk: DeskServer, where: str, value: str | None
) -> None:
    ticket = await desk.posted(await desk.open_ticket())
    body = {
        "team_id": TEAM,
        "api_app_id": APP,
        "type": "event_callback",
        "event_id": "EvFOREIGN1",
        "event": {
            "type": "message",
            "channel": CHANNEL,
            "user": AGENT,
            "text": "Refund approved, from another workspace",
            "ts": "1800000000.000001",
            "thread_ts": ticket.thread,
        },
    }
    body[where] = value

    answer = await desk.send(json.dumps(body).encode(), "application/json")

    assert answer.status == (403 if value else 400)
    await asyncio.sleep(0.3)  # time in which a wrongly accepted reply would have landed
    assert len(desk.store.get(ticket.number).transcript) == 1
    assert desk.bot.cloud.sent("a:1contoso-aoife-personal-chat") == []


async def test_a_click_from_another_workspace_claims_nothing(desk: DeskServer) -> None:
    ticket = await desk.posted(await desk.open_ticket())
    payload = {
        "type": "block_actions",
        "team": {"id": "T0999"},
        "api_app_id": APP,
        "user": {"id": AGENT},
        "channel": {"id": CHANNEL},
        "actions": [{"action_id": CLAIM, "value": ticket.number}],
    }
    body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()

    answer = await desk.send(body, "application/x-www-form-urlencoded")

    assert answer.status == 403
    await asyncio.sleep(0.3)
    assert desk.store.get(ticket.number).assignee is None


async def test_a_command_from_another_workspace_gets_no_answer(desk: DeskServer) -> None:
    form = {
        "team_id": "T0999",
        "api_app_id": APP,
        "user_id": AGENT,
        "command": "/billing",
        "text": "customer Contoso",
        "response_url": desk.slack.response_url("foreign"),
    }
    body = urllib.parse.urlencode(form).encode()
    answer = await desk.send(body, "application/x-www-form-urlencoded")

    assert answer.status == 403
    await asyncio.sleep(0.3)
    assert desk.slack.responses == []


async def test_the_installed_workspace_can_be_named_in_the_settings(
    start_server, teams, fake_slack, slack_settings
) -> None:
    # SLACK_TEAM_ID / SLACK_APP_ID win over what auth.test says.
    named = slack_settings.model_copy(update={"slack_team_id": "T0777", "slack_app_id": "A0777"})
    async with start_server(mounts=[teams, slack_mount(fake_slack.api_url)], settings=named) as s:
        desk = DeskServer(s, fake_slack)
        ours = await desk.event({"type": "app_home_opened", "user": AGENT})  # names T0001
        assert ours.status == 403
        form = {
            "team_id": "T0777",
            "api_app_id": "A0777",
            "user_id": AGENT,
            "command": "/billing",
            "text": "help",
            "response_url": fake_slack.response_url("named"),
        }
        answer = await desk.send(
            urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
        )
        assert answer.status == 200
        await eventually(lambda: fake_slack.responses)


JUNK = {
    "invalid JSON": (b"{not json", "application/json", 400),
    "null": (b"null", "application/json", 400),
    "a list": (b"[]", "application/json", 400),
    "invalid UTF-8": (b'{"type": "\xff\xfe"}', "application/json", 400),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
    "NaN": (b'{"type": "event_callback", "x": NaN}', "application/json", 400),
    "an event given as a string": (
        json.dumps(
            {"type": "event_callback", "team_id": TEAM, "api_app_id": APP, "event": "message"}
        ).encode(),
        "application/json",
        400,
    ),
    "a lone surrogate": (
        json.dumps(
            {
                "type": "event_callback",
                "team_id": TEAM,
                "api_app_id": APP,
                "event_id": "Ev1",
                "event": {"type": "message", "text": "\ud800"},
            }
        ).encode(),
        "application/json",
        400,
    ),
    "app_home_opened without a user": (
        json.dumps(
            {
                "type": "event_callback",
                "team_id": TEAM,
                "api_app_id": APP,
                "event_id": "Ev2",
                "event": {"type": "app_home_opened"},
            }
        ).encode(),
        "application/json",
        400,
    ),
    "a payload that is not JSON": (b"payload=%7Bnope", "application/x-www-form-urlencoded", 400),
    "plain text": (b"hello", "text/plain", 415),
}


@pytest.mark.parametrize("case", sorted(JUNK))
async def test_signed_junk_is_a_4xx_and_one_log_line(
    desk: DeskServer, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    body, content_type, status = JUNK[case]
    caplog.set_level(logging.INFO)

    answer = await desk.send(body, content_type)

    assert answer.status == status
    assert len(_refusal_lines(caplog)) == 1
    assert _no_traceback(caplog)


@pytest.mark.parametrize(
    ("timestamp", "signed"), [("yesterday", True), ("", True), ("١٢٣", True), ("now", False)]
)
async def test_unsigned_or_badly_dated_requests_are_401_before_the_body_is_read(
    desk: DeskServer, caplog: pytest.LogCaptureFixture, timestamp: str, signed: bool
) -> None:
    caplog.set_level(logging.INFO)
    body = b"\xff not even utf-8"
    stamp = str(int(time.time())) if timestamp == "now" else timestamp
    headers = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp}
    if signed:
        headers["X-Slack-Signature"] = signature(SECRET, stamp, body)
    async with desk.bot.http.post(
        desk.bot.url + "/slack/events", data=body, headers=headers
    ) as response:
        assert response.status == 401
    assert len(_refusal_lines(caplog)) == 1
    assert _no_traceback(caplog)


async def test_an_event_type_the_desk_does_not_handle_is_a_200_that_does_nothing(
    desk: DeskServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answer = await desk.event({"type": "reaction_added", "user": AGENT, "reaction": "eyes"})
    assert answer.status == 200
    await asyncio.sleep(0.2)
    assert desk.slack.calls == []
    assert _no_traceback(caplog)


async def test_a_body_over_the_size_limit_is_413(
    desk: DeskServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    answer = await desk.send(b'{"pad": "' + b"x" * 2_000_000 + b'"}', "application/json")
    assert answer.status == 413
    assert len(_refusal_lines(caplog)) == 1
    assert _no_traceback(caplog)
