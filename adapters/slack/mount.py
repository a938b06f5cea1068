"""Mount Slack on the shared server: `POST /slack/events` (HTTP mode) or a Socket Mode
connection (when SLACK_APP_TOKEN is set), plus the `SlackChannel` the outbox delivers through.

Without a bot token the server runs without Slack (logged once); a token without a signing
secret or app token, or without an escalation channel, is a `ConfigError`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.app import build_bolt_app
from adapters.slack.channel import SlackChannel
from adapters.slack.desk import Desk
from adapters.slack.gate import Admitted, InstalledWorkspace, SlackGate
from bot.channel import Channel
from bot.errors import ConfigError

if TYPE_CHECKING:
    from adapters.server import Mount, ServerContext

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def slack_mount(api_url: str | None = None) -> Mount:
    """A server mount for Slack; `api_url` replaces SLACK_API_URL (tests use a fake)."""

    def mount(app: web.Application, context: ServerContext) -> Sequence[Channel]:
        settings = context.settings
        token = settings.slack_bot_token.get_secret_value()
        secret = settings.slack_signing_secret.get_secret_value()
        app_token = settings.slack_app_token.get_secret_value()
        if not token:
            log.info("Slack: not configured (no SLACK_BOT_TOKEN); running without Slack routes")
            return []
        if not secret and not app_token:
            raise ConfigError(
                "SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET "
                "(HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is"
            )
        if not settings.slack_escalation_channel:
            raise ConfigError(
                "SLACK_ESCALATION_CHANNEL is empty: name the channel id (C…) "
                "where escalations are posted"
            )
        client = AsyncWebClient(token=token, base_url=api_url or settings.slack_api_url)
        storage = context.assistant.storage
        desk = Desk(context.assistant, storage)
        bolt = build_bolt_app(
            desk,
            context.run_core,
            client,
            signing_secret="",  # HTTP mode: the gate verifies; Socket Mode: nothing to verify
            escalation_channel=settings.slack_escalation_channel,
            command_channels=frozenset(
                c.strip() for c in settings.slack_command_channels.split(",") if c.strip()
            ),
        )
        if app_token:
            app.cleanup_ctx.append(_socket_mode(bolt, app_token))
            log.info("Slack: Socket Mode, escalations in %s", settings.slack_escalation_channel)
        else:
            workspace = InstalledWorkspace(
                client, settings.slack_team_id.strip(), settings.slack_app_id.strip()
            )
            gate = SlackGate(secret, workspace)

            async def events(request: web.Request) -> web.StreamResponse:
                admitted = await gate.admit(request)
                if isinstance(admitted, Admitted):
                    response = await to_aiohttp_response(
                        await bolt.async_dispatch(_bolt_request(request, admitted))
                    )
                else:
                    response = admitted
                context.metrics.inc("slack_requests_total", status=str(response.status))
                return response

            app.router.add_post(EVENTS_PATH, events)
            app.cleanup_ctx.append(_learn_workspace(workspace))
            log.info(
                "Slack: HTTP mode at %s, escalations in %s",
                EVENTS_PATH,
                settings.slack_escalation_channel,
            )
        return [
            SlackChannel(client, settings.slack_escalation_channel, desk.categories, desk.language)
        ]

    return mount


def _bolt_request(request: web.Request, admitted: Admitted) -> AsyncBoltRequest:
    headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in request.headers.items()}
    headers["content-type"] = admitted.content_type
    return AsyncBoltRequest(body=admitted.body, query=request.query_string, headers=headers)


def _learn_workspace(
    workspace: InstalledWorkspace,
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifetime(_app: web.Application) -> AsyncIterator[None]:
        try:
            await workspace.get()
        except Exception as exc:  # asked again at the first request
            log.warning("Slack: cannot learn the installed app and workspace yet: %s", exc)
        yield

    return lifetime


def _socket_mode(
    bolt: AsyncApp, app_token: str
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def lifetime(_app: web.Application) -> AsyncIterator[None]:
        from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

        handler = AsyncSocketModeHandler(bolt, app_token)
        await handler.connect_async()
        yield
        await handler.close_async()

    return lifetime
