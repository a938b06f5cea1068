"""What an unauthenticated or unknown sender leaves behind: nothing but a counter.

- Local mode (no TEAMS_APP_ID) sends replies only to a loopback `serviceUrl` (the
  Emulator's): another URL is refused (403) before the turn, and nothing is stored.
- A tenant that is no customer gets its polite answer, inline, and no stored conversation,
  inbound event or outbox row; `teams_unknown_tenants_total` counts it.

On SQLite and PostgreSQL, as the rows are the point.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakes.harness import BotServer
from fakes.teams import UNKNOWN_TENANT
from sqlalchemy import text

from adapters.teams.auth import CloudEndpoints
from adapters.teams.mount import teams_mount
from bot.app import Assistant
from bot.config import Settings
from tests.unit.tickets.ticket_db import create_database, drop_database, empty_postgres

STORED = ("conversations", "inbound_events", "outbox", "tickets")


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    try:
        url = create_database()
    except Exception as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}")
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The protocol suite's settings, on each database in turn."""
    if request.param == "sqlite":
        return settings
    url: str = request.getfixturevalue("postgres_url")
    if _migrated(url):
        empty_postgres(url)
    return settings.model_copy(update={"database_url": url})


def _migrated(url: str) -> bool:
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url)
    try:
        return inspect(engine).has_table("outbox")
    finally:
        engine.dispose()


def stored(assistant: Assistant) -> dict[str, int]:
    with assistant.tickets.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in STORED}


NOTHING = dict.fromkeys(STORED, 0)


@pytest.mark.parametrize(
    "service_url",
    [
        "https://collector.attacker.example/",
        "http://10.0.0.5:3978/",
        "http://169.254.169.254/latest/",
        "http://127.0.0.1.attacker.example/",
        "file:///etc/passwd",
    ],
)
async def test_local_mode_refuses_a_service_url_off_this_machine(
    start_server, settings: Settings, cloud, service_url: str
) -> None:
    local = settings.model_copy(update={"teams_app_id": ""})
    endpoints = CloudEndpoints(**{**cloud.endpoints(), "outbound_token": None})
    async with start_server(settings=local, mounts=[teams_mount(endpoints)]) as server:
        activity = server.user().message("When is my invoice due?")
        activity["serviceUrl"] = service_url

        answer = await server.post(activity, authorization=None)

        assert answer.status == 403, answer
        assert "serviceUrl" in answer.body["error"] and "loopback" in answer.body["error"]
        assert stored(server.assistant) == NOTHING
        assert not cloud.calls()


async def test_local_mode_still_answers_on_a_loopback_service_url(
    start_server, settings: Settings, cloud
) -> None:
    local = settings.model_copy(update={"teams_app_id": ""})
    endpoints = CloudEndpoints(**{**cloud.endpoints(), "outbound_token": None})
    async with start_server(settings=local, mounts=[teams_mount(endpoints)]) as server:
        cloud.accept_anonymous = True
        user = server.user()
        assert "127.0.0.1" in user.service_url

        answer = await server.post(user.message("When is my invoice due?"), authorization=None)

    assert answer.status == 201
    assert cloud.sent(user.conversation)


async def test_an_unknown_tenant_is_answered_counted_and_not_stored(bot: BotServer) -> None:
    user = bot.user(tenant=UNKNOWN_TENANT, conversation="a:1stranger")

    assert (await bot.post(user.installed())).status == 201
    assert (await bot.post(user.message("When is my invoice due?"))).status == 201
    assert (await bot.post(user.submit({"action": "talk_to_person"}))).status == 201

    answers = bot.cloud.sent(user.conversation)
    assert any("can't find" in str(a.card) for a in answers)
    assert stored(bot.assistant) == NOTHING
    metrics = (await bot.get("/metrics")).body
    assert "teams_unknown_tenants_total 3" in metrics
