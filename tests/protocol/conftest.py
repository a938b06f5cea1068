"""Fixtures for protocol tests: the real server on a real socket, talking to fakes.

    cloud          FakeMicrosoftCloud (session): token issuer, signing keys, Bot Connector
    settings       Settings for a Teams bot with an app id, SQLite in tmp, sample knowledge
    assistant      the real core, with the deterministic HashingEmbedder
    start_server   async context manager factory: start_server(mounts=..., settings=...)
    bot            a started server with Teams mounted on the fake cloud (BotServer)
    on_both_databases  `settings` parametrised over SQLite and PostgreSQL

Other channels' tests (Slack) reuse `start_server` with their own mount next to
`teams_mount(...)`, and `cloud` to see what reached Teams.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fakes.cloud import FakeMicrosoftCloud
from fakes.harness import APP_ID, KNOWLEDGE, PARTNER_TENANT, BotServer
from fakes.server import serving

from adapters.server import Mount, build_app
from adapters.teams.auth import CloudEndpoints
from adapters.teams.mount import teams_mount
from bot.app import Assistant, build_assistant
from bot.config import Settings, load_settings
from bot.retrieval.embedder import HashingEmbedder
from tests.unit.tickets.ticket_db import empty_postgres, migrated_postgres


@pytest.fixture(scope="session")
def cloud() -> AsyncIterator[FakeMicrosoftCloud]:
    with FakeMicrosoftCloud(APP_ID) as fake:
        yield fake


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        knowledge_dir=KNOWLEDGE,
        data_dir=tmp_path,
        database_url=f"sqlite:///{(tmp_path / 'billing.db').as_posix()}",
        teams_app_id=APP_ID,
        teams_app_password="not-used-the-fake-cloud-has-its-own-token",
        teams_app_type="SingleTenant",
        teams_app_tenant_id=PARTNER_TENANT,
    )


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    yield from migrated_postgres()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def on_both_databases(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """`settings` on SQLite, then on PostgreSQL (emptied first): a module that stores what
    it tests overrides `settings` with this."""
    if request.param == "sqlite":
        return settings
    url: str = request.getfixturevalue("postgres_url")
    empty_postgres(url)
    return settings.model_copy(update={"database_url": url})


@pytest.fixture
def assistant(settings: Settings) -> AsyncIterator[Assistant]:
    core = build_assistant(settings, embedder=HashingEmbedder())
    yield core
    core.tickets.close()


@pytest.fixture
def teams(cloud: FakeMicrosoftCloud) -> Mount:
    """Teams mounted against the fake cloud instead of Microsoft's."""
    return teams_mount(CloudEndpoints(**cloud.endpoints()))


@pytest.fixture
async def start_server(
    cloud: FakeMicrosoftCloud, assistant: Assistant, settings: Settings, teams: Mount
) -> AsyncIterator[Callable[..., contextlib.AbstractAsyncContextManager[BotServer]]]:
    @contextlib.asynccontextmanager
    async def start(
        *, mounts: Sequence[Mount] | None = None, settings: Settings = settings, **options: Any
    ) -> AsyncIterator[BotServer]:
        options.setdefault("dispatcher_options", {"poll_interval": 0.05, "base_delay": 0.05})
        app = build_app(
            settings, assistant, mounts=[teams] if mounts is None else mounts, **options
        )
        async with serving(app) as url, aiohttp.ClientSession() as http:
            # As a load balancer would: no traffic before the warm-up is done (a test's
            # embedder failure must meet its turn, not the warm-up's question).
            await eventually_ready(http, url)
            yield BotServer(url, app, cloud, http, assistant)

    cloud.clear()
    yield start
    # The fake connector drops a resent delivery key; the real one would show it twice. No
    # process is killed here, so no reply may have been sent twice.
    replays = [(c.conversation, c.delivery_key) for c in cloud.replays()]
    cloud.clear()
    assert replays == [], f"replies sent twice: {replays}"


@pytest.fixture
async def bot(start_server: Callable[..., Any]) -> AsyncIterator[BotServer]:
    async with start_server() as server:
        yield server


async def eventually_ready(http: aiohttp.ClientSession, url: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with http.get(url + "/readyz") as ready:
            if ready.status == 200:
                return
        assert asyncio.get_running_loop().time() < deadline, "the server never became ready"
        await asyncio.sleep(0.01)
