"""The shared server: health, metrics, mounts, the background dispatcher, clean shutdown."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from aiohttp import web
from fakes.harness import KNOWLEDGE, BotServer, eventually
from fakes.server import serving

from adapters.server import DISPATCHER_TASK, ServerContext, build_app
from bot.app import build_assistant
from bot.channel import RecordingChannel
from bot.config import Settings
from bot.retrieval.embedder import HashingEmbedder


async def test_healthz_says_up_and_nothing_else(bot: BotServer) -> None:
    answer = await bot.get("/healthz")

    assert answer.status == 200
    assert json.loads(answer.body) == {"status": "ok"}


async def test_health_details_report_the_dispatcher_channels_and_knowledge(
    bot: BotServer,
) -> None:
    answer = await bot.get("/healthz/details")  # from loopback, no METRICS_TOKEN set

    assert answer.status == 200
    body = json.loads(answer.body)
    knowledge = body.pop("knowledge")
    assert body == {"status": "ok", "dispatcher": "running", "channels": ["teams"]}
    assert knowledge == {
        "loaded_at": knowledge["loaded_at"],
        "problems": 0,
        "withheld": [],
        "stale": False,
        "error": None,
    }


async def test_a_broken_knowledge_change_shows_in_health_details_and_the_last_good_serves_on(
    settings: Settings, tmp_path: Path
) -> None:
    folder = shutil.copytree(KNOWLEDGE, tmp_path / "knowledge")
    settings = settings.model_copy(update={"knowledge_dir": folder})
    assistant = build_assistant(settings, embedder=HashingEmbedder())
    app = build_app(settings, assistant, mounts=[], watch_knowledge=True)
    async with serving(app) as url, aiohttp.ClientSession() as http:

        async def knowledge() -> dict[str, Any]:
            async with http.get(url + "/healthz/details") as response:
                assert response.status == 200
                return (await response.json())["knowledge"]

        async def stale() -> bool:
            return (await knowledge())["stale"]

        customers = folder / "customers.yaml"
        served = assistant.answerer
        await asyncio.sleep(0.3)  # let the watcher start (not an assertion)
        customers.write_text(customers.read_text().replace("    name: Contoso", "   name: Contoso"))
        await until(stale)

        detail = await knowledge()
        assert "customers.yaml:" in detail["error"] and "every customer" in detail["error"]
        assert assistant.answerer is served and assistant.knowledge.customer("contoso")
    assistant.tickets.close()


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"not true within {timeout}s"
        await asyncio.sleep(0.05)


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


def test_serve_refuses_to_start_on_a_folder_with_a_fatal_problem(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from adapters.cli import cli

    folder = shutil.copytree(KNOWLEDGE, tmp_path / "knowledge")
    (folder / "invoices.csv").write_text("invoice_number,customer_id\n")

    result = CliRunner().invoke(cli, ["--knowledge", str(folder), "serve", "--port", "0"])

    assert result.exit_code == 1
    assert "the knowledge folder cannot be served" in result.output
    assert "invoices.csv:1: missing column(s): issue_date" in result.output
    assert "serving on" not in result.output


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
