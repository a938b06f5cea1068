"""Mount Teams on the server: `POST /api/messages` and the proactive `TeamsChannel`."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from adapters.teams.auth import CloudEndpoints, build_authentication
from bot.channel import Channel

if TYPE_CHECKING:
    from aiohttp import web

    from adapters.server import Mount, ServerContext

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"


def teams_mount(endpoints: CloudEndpoints | None = None) -> Mount:
    """A server mount for Teams; `endpoints` replaces Microsoft's (tests use a fake cloud)."""

    def mount(app: web.Application, context: ServerContext) -> Sequence[Channel]:
        from botbuilder.integration.aiohttp import CloudAdapter

        from adapters.teams.channel import TeamsChannel
        from adapters.teams.direct import Connector
        from adapters.teams.endpoint import TeamsEndpoint
        from adapters.teams.turns import TeamsTurns

        settings = context.settings
        adapter = CloudAdapter(build_authentication(settings, endpoints))
        local_tenant = None if settings.teams_app_id else settings.teams_local_tenant_id or None
        storage = context.assistant.storage
        turns = TeamsTurns(
            context.assistant,
            storage.conversations,
            storage.outbox,
            context.run_core,
            local_tenant,
            count_stranger=lambda: context.metrics.inc("teams_unknown_tenants_total"),
        )
        adapter.on_turn_error = turns.on_error

        async def drain(_app: web.Application) -> None:
            await turns.drain()

        app.on_shutdown.append(drain)
        connector = Connector()
        endpoint = TeamsEndpoint(
            adapter,
            turns.on_turn,
            count=lambda outcome: context.metrics.inc("teams_activities_total", outcome=outcome),
            authenticated=bool(settings.teams_app_id),
            on_error=turns.on_error,
            connector=connector,
        )
        app.router.add_post(MESSAGES_PATH, endpoint.handle)

        async def connector_lifetime(_app: web.Application) -> AsyncIterator[None]:
            yield
            await connector.close()

        app.cleanup_ctx.append(connector_lifetime)
        if settings.teams_app_id:
            log.info("Teams: app %s (%s)", settings.teams_app_id, settings.teams_app_type)
        else:
            log.warning(
                "Teams: local mode (no TEAMS_APP_ID): requests are not authenticated; "
                "point the Bot Framework Emulator at %s",
                MESSAGES_PATH,
            )
        return [
            TeamsChannel(adapter, storage.conversations, settings.teams_app_id, context.run_core)
        ]

    return mount
