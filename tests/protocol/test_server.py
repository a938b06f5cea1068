"""The shared server: health, metrics, mounts, the background dispatcher, clean shutdown."""

from __future__ import annotations

import asyncio
import threading

import pytest
from aiohttp import web
from fakes.harness import BotServer, eventually

from adapters.server import DISPATCHER_TASK, ServerContext, build_app
from bot.channel import RecordingChannel


async def test_healthz_reports_the_dispatcher_and_channels(bot: BotServer) -> None:
    answer = await bot.get("/healthz")

    assert answer.status == 200
    assert answer.body == '{"status": "ok", "dispatcher": "running", "channels": ["teams"]}'


async def test_metrics_count_requests_by_route_and_status(bot: BotServer) -> None:
    await bot.post(bot.user().message("When is my invoice due?"))
    await bot.post(bot.user().message("When is my invoice due?"), authorization=None)
    await bot.get("/no/such/page")

    text = (await bot.get("/metrics")).body

    assert 'http_requests_total{path="/api/messages",status="201"} 1' in text
    assert 'http_requests_total{path="/api/messages",status="401"} 1' in text
    assert 'http_requests_total{path="unmatched",status="404"} 1' in text
    assert 'teams_activities_total{outcome="message"} 1' in text
    assert 'teams_activities_total{outcome="refused_401"} 1' in text
    assert 'outbox_rows{status="pending"}' in text


async def test_a_mount_adds_routes_and_a_channel_the_dispatcher_delivers_for(
    start_server, teams
) -> None:
    agents = RecordingChannel("slack")  # stands in for the agents' side

    def agents_mount(app: web.Application, context: ServerContext) -> list[RecordingChannel]:
        async def ping(_request: web.Request) -> web.Response:
            return web.json_response({"pong": context.settings.teams_app_id})

        app.router.add_get("/agents/ping", ping)
        return [agents]

    async with start_server(mounts=[teams, agents_mount]) as server:
        assert (await server.get("/agents/ping")).status == 200
        user = server.user()
        await server.post(user.submit({"action": "talk_to_person", "question": "Refund please"}))

        (opened,) = await eventually(lambda: agents.delivered)

    assert opened.event == "ticket_opened"
    assert opened.body["ticket"]["question"] == "Refund please"


async def test_two_mounts_cannot_claim_one_channel(settings, assistant) -> None:
    def twice(_app: web.Application, _context: ServerContext) -> list[RecordingChannel]:
        return [RecordingChannel("teams")]

    with pytest.raises(ValueError, match="'teams'"):
        build_app(settings, assistant, mounts=[twice, twice])


async def test_a_slow_core_call_does_not_stop_the_server_answering(start_server) -> None:
    release = threading.Event()

    def slow_mount(app: web.Application, context: ServerContext) -> list[RecordingChannel]:
        async def slow(_request: web.Request) -> web.Response:
            await context.run_core(release.wait, 30)
            return web.Response(text="done")

        app.router.add_get("/slow", slow)
        return []

    async with start_server(mounts=[slow_mount]) as server:
        pending = asyncio.ensure_future(server.get("/slow"))
        health = await server.get("/healthz")  # served while the core call is still waiting
        assert health.status == 200 and not pending.done()
        release.set()
        assert (await pending).body == "done"


async def test_shutdown_stops_the_dispatcher(start_server) -> None:
    async with start_server() as server:
        task = server.app[DISPATCHER_TASK]
        assert not task.done()

    assert task.done() and not task.cancelled()  # it finished its round and returned
