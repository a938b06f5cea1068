"""Slack protocol fixtures: the real server (Teams and Slack mounted) talking to a fake
Slack Web API and the fake Bot Connector.

    fake_slack      FakeSlack on a real socket
    slack_settings  the shared `settings` plus a bot token, signing secret and channel
    desk            a started server with Teams and Slack mounted (`DeskServer`)
    quiet_desk      the same without its outbox dispatcher (tests drive the outbox by hand)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from fake_slack import FakeSlack
from pydantic import SecretStr
from slack_desk import CHANNEL, SECRET, DeskServer

from adapters.server import Mount
from adapters.slack.mount import slack_mount
from bot.config import Settings


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack().running() as fake:
        yield fake


@pytest.fixture
def slack_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "slack_bot_token": SecretStr("xoxb-test-token"),
            "slack_signing_secret": SecretStr(SECRET),
            "slack_escalation_channel": CHANNEL,
        }
    )


@pytest.fixture
async def desk(
    start_server: Callable[..., Any], teams: Mount, fake_slack: FakeSlack, slack_settings: Settings
) -> AsyncIterator[DeskServer]:
    mounts = [teams, slack_mount(fake_slack.api_url)]
    async with start_server(mounts=mounts, settings=slack_settings) as server:
        yield DeskServer(server, fake_slack)


@pytest.fixture
async def quiet_desk(
    start_server: Callable[..., Any], teams: Mount, fake_slack: FakeSlack, slack_settings: Settings
) -> AsyncIterator[DeskServer]:
    mounts = [teams, slack_mount(fake_slack.api_url)]
    async with start_server(mounts=mounts, settings=slack_settings, dispatch=False) as server:
        yield DeskServer(server, fake_slack)
