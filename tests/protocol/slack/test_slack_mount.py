"""Mounting Slack on the shared server: configured, not configured, misconfigured."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr
from slack_desk import DeskServer

from adapters.slack.mount import slack_mount
from bot.errors import ConfigError


async def test_without_slack_settings_the_server_serves_without_slack(
    start_server, teams, fake_slack, settings, caplog
):
    caplog.set_level(logging.INFO, logger="adapters.slack.mount")
    async with start_server(
        mounts=[teams, slack_mount(fake_slack.api_url)], settings=settings
    ) as server:
        health = await server.get("/healthz/details")
        answer = await server.http.post(server.url + "/slack/events", data=b"{}")
        assert answer.status == 404
    assert health.status == 200 and '"slack"' not in health.body
    assert "Slack: not configured" in caplog.text


async def test_with_slack_settings_slack_is_a_delivering_channel(desk):
    health = await desk.bot.get("/healthz/details")
    assert '"slack"' in health.body
    assert desk.bot.channels["slack"].name == "slack"


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("slack_escalation_channel", "SLACK_ESCALATION_CHANNEL"),
        ("slack_signing_secret", "SLACK_SIGNING_SECRET"),
    ],
)
async def test_a_half_configured_slack_is_refused_naming_the_setting(
    start_server, teams, fake_slack, slack_settings, missing, named
):
    blank = "" if missing == "slack_escalation_channel" else SecretStr("")
    broken = slack_settings.model_copy(update={missing: blank})
    with pytest.raises(ConfigError, match=named):
        async with start_server(mounts=[teams, slack_mount(fake_slack.api_url)], settings=broken):
            pass


async def test_slack_api_url_points_the_desk_at_another_web_api(
    start_server, teams, fake_slack, slack_settings
):
    # What GovSlack needs (and the chaos benchmark, whose fake Slack runs in another process).
    elsewhere = slack_settings.model_copy(update={"slack_api_url": fake_slack.api_url})
    async with start_server(mounts=[teams, slack_mount()], settings=elsewhere) as server:
        desk = DeskServer(server, fake_slack)
        await desk.posted(await desk.open_ticket())
    assert fake_slack.called("chat.postMessage")
