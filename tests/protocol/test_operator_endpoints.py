"""The operator's endpoints: `/healthz` (up or down) and `/readyz` (status) for anyone;
`/healthz/details` and `/metrics` with METRICS_TOKEN as a bearer token, or without one
from loopback only (never through a proxy); metric labels from a fixed set."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from fakes.harness import BotServer
from fakes.server import serving
from pydantic import SecretStr

from adapters.server import build_app
from bot.config import Settings

TOKEN = "s3cret-scrape-token"
OPERATOR = ("/metrics", "/healthz/details")


async def status(http: aiohttp.ClientSession, url: str, **headers: str) -> int:
    async with http.get(url, headers=headers) as response:
        await response.read()
        return response.status


@pytest.fixture
async def guarded(start_server, settings: Settings):
    with_token = settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    async with start_server(settings=with_token) as server:
        yield server


@pytest.mark.parametrize("path", OPERATOR)
async def test_with_a_token_the_operator_endpoints_need_it(guarded: BotServer, path: str) -> None:
    url, http = guarded.url + path, guarded.http

    async with http.get(url) as refused:
        assert refused.status == 401
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
        assert "outbox" not in await refused.text()
    assert await status(http, url, Authorization=f"Bearer {TOKEN}x") == 401
    assert await status(http, url, Authorization=f"Basic {TOKEN}") == 401
    assert await status(http, url, Authorization=f"Bearer {TOKEN}") == 200


async def test_probes_need_no_token_and_say_only_the_status(guarded: BotServer) -> None:
    for path, body in (("/healthz", {"status": "ok"}), ("/readyz", {"status": "ready"})):
        async with guarded.http.get(guarded.url + path) as response:
            assert response.status == 200
            assert await response.json() == body


@pytest.mark.parametrize("path", OPERATOR)
async def test_without_a_token_a_forwarded_request_is_refused(bot: BotServer, path: str) -> None:
    # A proxy on this machine connects from loopback on a visitor's behalf.
    url = bot.url + path
    assert await status(bot.http, url) == 200
    assert await status(bot.http, url, **{"X-Forwarded-For": "203.0.113.9"}) == 403
    assert await status(bot.http, url, Forwarded="for=203.0.113.9") == 403


def _outward_address() -> str | None:
    """This machine's non-loopback address (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") or address == "0.0.0.0" else address


async def test_without_a_token_another_machine_gets_only_the_probes(
    settings: Settings, assistant
) -> None:
    address = _outward_address()
    if address is None:
        pytest.skip("no non-loopback address on this machine")
    app = build_app(settings, assistant, mounts=[])
    async with serving(app, host=address) as url, aiohttp.ClientSession() as http:
        assert await status(http, url + "/healthz") == 200
        for path in OPERATOR:
            async with http.get(url + path) as refused:
                assert refused.status == 403
                assert "METRICS_TOKEN" in (await refused.json())["error"]
        assert await status(http, url + "/metrics", Authorization="Bearer anything") == 403


async def test_invented_activity_types_are_counted_as_other(bot: BotServer) -> None:
    user = bot.user()
    for kind in ("madeUpType1", "madeUpType2", "typing"):
        activity = user.message("hi")
        activity["type"] = kind
        await bot.post(activity)

    text = (await bot.get("/metrics")).body

    assert "madeUpType" not in text
    assert 'teams_activities_total{outcome="other"} 2' in text
    assert 'teams_activities_total{outcome="typing"} 1' in text
