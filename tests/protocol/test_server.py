"""The shared server: health, metrics, mounts, the background dispatcher, clean shutdown."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import aiohttp
import numpy as np
import pytest
from aiohttp import web
from fakes.harness import BotServer, eventually
from fakes.server import serving

from adapters.server import DISPATCHER_TASK, ServerContext, build_app
from bot.app import build_assistant
from bot.channel import RecordingChannel
from bot.retrieval.embedder import HashingEmbedder


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


class ModelStillLoading(HashingEmbedder):
    """The hashing twin, with every encode held while `loading` is set: a model that takes
    its time to load."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded = threading.Event()
        self.loaded.set()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        assert self.loaded.wait(30), "the model never loaded"
        return super().embed(texts)


async def test_readyz_is_503_until_the_model_is_in_while_healthz_answers_at_once(
    settings, teams
) -> None:
    model = ModelStillLoading()
    assistant = build_assistant(settings, embedder=model)
    model.loaded.clear()  # the index came from the cache; the model itself is still loading
    app = build_app(settings, assistant, mounts=[teams])
    async with serving(app) as url, aiohttp.ClientSession() as http:
        async with http.get(url + "/healthz") as health, http.get(url + "/readyz") as ready:
            assert health.status == 200
            assert ready.status == 503 and (await ready.json()) == {"status": "starting"}

        model.loaded.set()

        deadline = asyncio.get_running_loop().time() + 10
        while True:
            async with http.get(url + "/readyz") as ready:
                if ready.status == 200:
                    assert (await ready.json()) == {"status": "ready"}
                    break
            assert asyncio.get_running_loop().time() < deadline, "never became ready"
            await asyncio.sleep(0.02)
    assistant.tickets.close()
