"""manifests/slack/manifest.yml asks for exactly what the code uses: the events it listens
to, the slash command, interactivity for its buttons, and the scopes of the Web API methods
it calls (read from the adapter's source, so a new call without its scope fails here)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import app as slack_app
from adapters.slack.blocks import ACTIONS
from adapters.slack.desk import Desk
from adapters.slack.mount import EVENTS_PATH

ROOT = Path(__file__).resolve().parents[3]
MANIFEST = yaml.safe_load((ROOT / "manifests/slack/manifest.yml").read_text(encoding="utf-8"))
SOURCES = sorted((ROOT / "adapters/slack").glob("*.py"))

# Slack's documented bot scope for each Web API method the adapter may call
# (views.publish needs none).
METHOD_SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "conversations_history": "channels:history",  # groups:history in a private channel
    "users_info": "users:read",
    "bots_info": "users:read",
    "views_publish": None,
    "auth_test": None,
}
# Bot events per listened-to event type, and the scope each subscription needs.
EVENT_SUBSCRIPTIONS = {
    "message": {"message.channels": "channels:history", "message.groups": "groups:history"},
    "app_home_opened": {"app_home_opened": None},
}


def methods_called() -> set[str]:
    """Every `AsyncWebClient` method named as `.method(` in the adapter's source."""
    known = {name for name in dir(AsyncWebClient) if not name.startswith("_")}
    found: set[str] = set()
    for source in SOURCES:
        for name in re.findall(r"\.([a-z]+_[A-Za-z]+)\(", source.read_text(encoding="utf-8")):
            if name in known:
                found.add(name)
    return found


def test_the_code_calls_only_methods_whose_scope_is_known():
    assert methods_called() <= METHOD_SCOPES.keys()
    assert {"chat_postMessage", "chat_update", "views_publish"} <= methods_called()


def test_bot_events_are_the_events_the_app_listens_to():
    wanted = {sub for event in slack_app.EVENTS for sub in EVENT_SUBSCRIPTIONS[event]}
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == wanted


def test_scopes_are_exactly_those_the_calls_events_and_command_need():
    needed = {METHOD_SCOPES[m] for m in methods_called()}
    needed |= {
        EVENT_SUBSCRIPTIONS[e][sub] for e in slack_app.EVENTS for sub in EVENT_SUBSCRIPTIONS[e]
    }
    needed.add("commands")  # the slash command
    needed.discard(None)
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed


def test_the_slash_command_and_interactivity_point_at_the_events_route():
    [command] = MANIFEST["features"]["slash_commands"]
    assert command["command"] == slack_app.COMMAND
    assert command["url"].endswith(EVENTS_PATH)
    assert ACTIONS, "buttons need interactivity"
    interactivity = MANIFEST["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith(EVENTS_PATH)
    assert MANIFEST["settings"]["event_subscriptions"]["request_url"].endswith(EVENTS_PATH)
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


async def test_the_app_registers_one_listener_per_declared_event_action_and_command(assistant):
    async def run_core(fn, *args):
        return fn(*args)

    bolt = slack_app.build_bolt_app(
        Desk(assistant, assistant.storage),
        run_core,
        client=AsyncWebClient(token="xoxb-test"),
        signing_secret="secret",
        escalation_channel="C1",
    )
    # The digest's buttons: one listener for the three pauses, one to resume, one to confirm.
    digest = 3
    assert len(bolt._async_listeners) == len(slack_app.EVENTS) + len(ACTIONS) + digest + 1
