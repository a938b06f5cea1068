"""Generated malformed bodies at `/api/messages`, over real HTTP against the real server
(Teams mounted on the fake cloud, the real core with the deterministic embedder): without
a valid token and with one, no response is a 5xx and no log record carries a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fakes.cloud import FakeMicrosoftCloud
from fakes.harness import APP_ID, KNOWLEDGE, PARTNER_TENANT
from fakes.junk import dumps, mutated, raw_bodies
from fakes.teams import TeamsUser
from fakes.threaded import KeptRecords, LoopThread, served, tracebacks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.server import build_app
from adapters.teams.auth import CloudEndpoints
from adapters.teams.mount import teams_mount
from bot.app import build_assistant
from bot.config import load_settings
from bot.retrieval.embedder import HashingEmbedder

EXAMPLES = 500
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Target:
    def __init__(self, url: str, cloud: FakeMicrosoftCloud, log: KeptRecords) -> None:
        self.url = url + "/api/messages"
        self.cloud = cloud
        self.log = log
        self.http = requests.Session()
        self.user = TeamsUser(service_url=cloud.service_url, app_id=cloud.app_id)
        self.token = cloud.authorization()
        self.statuses: list[int] = []

    def post(self, body: bytes, authorization: str | None, content_type: str) -> int:
        headers = {"Content-Type": content_type}
        if authorization is not None:
            headers["Authorization"] = authorization
        status = self.http.post(self.url, data=body, headers=headers, timeout=30).status_code
        self.statuses.append(status)
        return status


@pytest.fixture(scope="module")
def target(cloud: FakeMicrosoftCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    data: Path = tmp_path_factory.mktemp("teams-fuzz")
    config = load_settings(
        knowledge_dir=KNOWLEDGE,
        data_dir=data,
        database_url=f"sqlite:///{(data / 'billing.db').as_posix()}",
        teams_app_id=APP_ID,
        teams_app_password="not-used",
        teams_app_type="SingleTenant",
        teams_app_tenant_id=PARTNER_TENANT,
    )
    assistant = build_assistant(config, embedder=HashingEmbedder())
    mount = teams_mount(CloudEndpoints(**cloud.endpoints()))
    thread = LoopThread()
    log = KeptRecords()
    try:
        with (
            log.installed(),
            served(thread, lambda: build_app(config, assistant, mounts=[mount])) as url,
        ):
            yield Target(url, cloud, log)
    finally:
        thread.close()
        assistant.tickets.close()


def _activities(user: TeamsUser) -> list[dict[str, Any]]:
    return [
        user.message("When is my invoice due?"),
        user.message("talk to a person"),
        user.submit({"action": "feedback", "helpful": False, "about": "x"}),
        user.execute({"action": "feedback", "helpful": True, "about": "x"}),
        user.installed(),
        user.bot_added(),
        user.user_added(),
    ]


PATHS = [
    (key,)
    for key in (
        "type", "id", "text", "value", "name", "locale", "timestamp", "conversation", "from",
        "recipient", "channelData", "membersAdded", "action", "textFormat", "entities",
        "attachments", "replyToId", "serviceUrl", "channelId",
    )
] + [
    ("conversation", "id"), ("conversation", "tenantId"), ("conversation", "conversationType"),
    ("from", "id"), ("from", "aadObjectId"), ("from", "name"), ("recipient", "id"),
    ("recipient", "role"), ("channelData", "tenant"), ("channelData", "tenant", "id"),
    ("value", "action"), ("value", "helpful"), ("value", "about"), ("value", "data"),
]  # fmt: skip


def _check(target: Target, status: int) -> None:
    assert status < 500, status
    assert not tracebacks(target.log.take())


@FUZZ
@given(
    body=raw_bodies,
    authorization=st.sampled_from([None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", ""]),
    content_type=st.sampled_from(["application/json", "application/json", "text/plain"]),
)
def test_junk_without_a_valid_token_is_never_a_5xx(
    target: Target, body: bytes, authorization: str | None, content_type: str
) -> None:
    _check(target, target.post(body, authorization, content_type))


@FUZZ
@given(data=st.data())
def test_malformed_activities_with_a_valid_token_are_never_a_5xx(
    target: Target, data: st.DataObject
) -> None:
    activity = mutated(_activities(target.user), PATHS)
    body = data.draw(activity.map(dumps) | raw_bodies)
    _check(target, target.post(body, target.token, "application/json"))


def test_the_fuzzing_reached_the_bot_and_was_refused_too(target: Target) -> None:
    # Runs after the two above (same module, file order): both outcomes were exercised.
    assert len(target.statuses) >= 2 * EXAMPLES
    assert {s for s in target.statuses if s < 300} and {s for s in target.statuses if s >= 400}
    assert target.cloud.calls(), "no generated activity ever reached the bot's turn"
