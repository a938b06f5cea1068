"""Generated malformed requests at `/slack/events`, over real HTTP against the real server
(Teams and Slack mounted, the fake Slack Web API and Bot Connector on either side): signed
or not, no response is a 5xx and no log record carries a traceback, including those logged
after Slack has had its answer (`/billing` answers through `response_url`)."""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from fake_slack import APP, TEAM, FakeSlack
from fakes.cloud import FakeMicrosoftCloud
from fakes.fuzzing import FUZZ, Endpoint, fuzz_settings, running
from fakes.junk import Path as FieldPath
from fakes.junk import dumps, mutated, raw_bodies, texts
from fakes.teams import TeamsUser
from fakes.threaded import tracebacks
from hypothesis import given, reject
from hypothesis import strategies as st
from pydantic import SecretStr
from slack_desk import AGENT, CHANNEL, SECRET, signature

from adapters.slack.blocks import CATEGORY, CLAIM, RESOLVE
from adapters.slack.mount import slack_mount
from adapters.teams.auth import CloudEndpoints
from adapters.teams.mount import teams_mount

JSON, FORM = "application/json", "application/x-www-form-urlencoded"


class Target(Endpoint):
    def __init__(self, url: str, slack: FakeSlack, log: Any, thread: str) -> None:
        super().__init__(url + "/slack/events", log)
        self.slack = slack
        self.thread = thread  # a real ticket's Slack thread, so replies can take effect

    def post(self, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> int:
        if headers is None:
            stamp = str(int(time.time()))
            headers = {
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature(SECRET, stamp, body),
            }
        return self.send(body, {"Content-Type": content_type, **headers})


@pytest.fixture(scope="module")
def target(cloud: FakeMicrosoftCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    config = fuzz_settings(
        tmp_path_factory.mktemp("slack-fuzz"),
        slack_bot_token=SecretStr("xoxb-test-token"),
        slack_signing_secret=SecretStr(SECRET),
        slack_escalation_channel=CHANNEL,
    )
    with running(config) as run:
        slack = run.enter(lambda: FakeSlack().running())
        teams = teams_mount(CloudEndpoints(**cloud.endpoints()))
        url = run.serve([teams, slack_mount(slack.api_url)])
        yield Target(url, slack, run.log, _a_ticket_thread(url, cloud, run.assistant))


def _a_ticket_thread(url: str, cloud: FakeMicrosoftCloud, assistant: Any) -> str:
    """A customer asks for a person in Teams; the ticket's post in Slack is its thread."""
    user = TeamsUser(service_url=cloud.service_url, app_id=cloud.app_id)
    headers = {"Authorization": cloud.authorization()}
    asked = requests.post(
        url + "/api/messages", json=user.message("talk to a person"), headers=headers, timeout=30
    )
    assert asked.status_code == 201
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        ticket = assistant.tickets.open_ticket_for("teams", user.conversation)
        if ticket is not None and ticket.thread:
            return str(ticket.thread)
        time.sleep(0.05)
    raise AssertionError("the ticket never reached the fake Slack")


def _envelopes(thread: str) -> list[dict[str, Any]]:
    def envelope(event: dict[str, Any]) -> dict[str, Any]:
        return {
            "token": "unused",
            "team_id": TEAM,
            "api_app_id": APP,
            "type": "event_callback",
            "event_id": f"Ev{time.monotonic_ns()}",
            "event_time": int(time.time()),
            "event": event,
        }

    reply = {"type": "message", "channel": CHANNEL, "user": AGENT, "text": "On it.",
             "ts": "1800000000.000001", "thread_ts": thread}  # fmt: skip
    return [
        envelope(reply),
        envelope({**reply, "text": "!note internal"}),
        envelope({"type": "app_home_opened", "user": AGENT, "channel": "D1", "tab": "home"}),
        {"type": "url_verification", "challenge": "abc", "token": "unused"},
    ]


ENVELOPE_PATHS: list[FieldPath] = [
    (key,) for key in ("type", "team_id", "api_app_id", "event_id", "event", "event_time",
                       "challenge", "authorizations", "enterprise_id", "is_ext_shared_channel")
] + [
    ("event", key) for key in ("type", "user", "text", "channel", "ts", "thread_ts", "subtype",
                               "bot_id", "tab", "team", "user_team", "message")
]  # fmt: skip


def _payloads(thread: str, slack: FakeSlack) -> list[dict[str, Any]]:
    def click(action: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": AGENT, "name": "maeve"},
            "api_app_id": APP,
            "trigger_id": "1.2.3",
            "channel": {"id": CHANNEL},
            "container": {"type": "message", "message_ts": thread},
            "message": {"ts": thread, "type": "message"},
            "response_url": slack.response_url("action"),
            "actions": [{"block_id": "ticket:T-1", "action_ts": "1.0", **action}],
        }

    return [
        click({"action_id": CLAIM, "type": "button", "value": "T-1"}),
        click({"action_id": RESOLVE, "type": "button", "value": "T-1"}),
        click({"action_id": CATEGORY, "selected_option": {"value": "T-1|billing_dispute"}}),
    ]


PAYLOAD_PATHS: list[FieldPath] = [
    (key,) for key in ("type", "team", "user", "api_app_id", "channel", "container", "message",
                       "response_url", "actions", "view", "enterprise", "authorizations")
] + [
    ("team", "id"), ("user", "id"), ("user", "name"), ("channel", "id"), ("message", "ts"),
    ("container", "message_ts"), ("actions", 0), ("actions", 1), ("actions", 0, "action_id"),
    ("actions", 0, "value"), ("actions", 0, "selected_option"),
    ("actions", 0, "selected_option", "value"),
]  # fmt: skip


def _commands(slack: FakeSlack) -> list[dict[str, Any]]:
    base = {"token": "unused", "team_id": TEAM, "api_app_id": APP, "channel_id": "D0AGENT01",
            "user_id": AGENT, "user_name": "maeve", "command": "/billing",
            "response_url": slack.response_url("cmd"), "trigger_id": "1.2.3"}  # fmt: skip
    return [{**base, "text": text} for text in ("customer Contoso", "ticket T-1", "help", "")]


COMMAND_PATHS: list[FieldPath] = [
    (key,) for key in ("team_id", "api_app_id", "channel_id", "user_id", "command", "text",
                       "response_url", "payload", "ssl_check")
]  # fmt: skip


def _form(fields: dict[str, Any]) -> bytes:
    flat = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
    return urllib.parse.urlencode(flat, errors="surrogatepass").encode()


@FUZZ
@given(data=st.data())
def test_malformed_signed_requests_are_never_a_5xx(target: Target, data: st.DataObject) -> None:
    envelope = mutated(_envelopes(target.thread), ENVELOPE_PATHS).map(lambda b: (dumps(b), JSON))
    click = mutated(_payloads(target.thread, target.slack), PAYLOAD_PATHS).map(
        lambda p: (_form({"payload": p}), FORM)
    )
    command = mutated(_commands(target.slack), COMMAND_PATHS).map(lambda f: (_form(f), FORM))
    junk = st.tuples(raw_bodies, st.sampled_from([JSON, FORM, "text/plain", ""]))
    body, content_type = data.draw(envelope | click | command | junk)
    target.check(target.post(body, content_type))


@FUZZ
@given(
    body=raw_bodies,
    content_type=st.sampled_from([JSON, FORM]),
    timestamp=texts | st.integers(min_value=-(10**15), max_value=10**15).map(str),
    signed=st.sampled_from(["no", "other secret", "garbage"]),
)
def test_requests_not_signed_by_slack_are_never_a_5xx(
    target: Target, body: bytes, content_type: str, timestamp: str, signed: str
) -> None:
    stamp = timestamp.encode("utf-8", "replace").decode("latin-1")  # what a header can carry
    headers = {"X-Slack-Request-Timestamp": stamp}
    if signed == "other secret":
        headers["X-Slack-Signature"] = signature("not-the-secret", stamp, body)
    elif signed == "garbage":
        headers["X-Slack-Signature"] = "v0=" + "0" * 64
    try:
        status = target.post(body, content_type, headers)
    except requests.exceptions.InvalidHeader:
        reject()  # a header value the HTTP client itself will not send
    assert 400 <= status < 500, status
    assert not tracebacks(target.log.take())


def test_afterwards_no_listener_logged_a_traceback(target: Target) -> None:
    # Listeners run after Slack's answer: give the last ones time to finish, then look.
    time.sleep(1.0)
    assert not tracebacks(target.log.take())
    target.check_both_outcomes()
    assert target.slack.calls, "no generated request ever reached a listener"
