"""Generated malformed bodies at `/api/messages`, over real HTTP against the real server
(Teams mounted on the fake cloud, the real core with the deterministic embedder): without
a valid token and with one, no response is a 5xx and no log record carries a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fakes.cloud import FakeMicrosoftCloud
from fakes.fuzzing import FUZZ, Endpoint, fuzz_settings, running
from fakes.junk import dumps, mutated, raw_bodies
from fakes.teams import TeamsUser
from hypothesis import given
from hypothesis import strategies as st

from adapters.teams.activities import CARD_ACTION_INVOKE
from adapters.teams.auth import CloudEndpoints
from adapters.teams.mount import teams_mount


class Target(Endpoint):
    def __init__(self, url: str, cloud: FakeMicrosoftCloud, log: Any) -> None:
        super().__init__(url + "/api/messages", log)
        self.cloud = cloud
        self.user = TeamsUser(service_url=cloud.service_url, app_id=cloud.app_id)
        self.token = cloud.authorization()

    def post(self, body: bytes, authorization: str | None, content_type: str) -> int:
        headers = {"Content-Type": content_type}
        if authorization is not None:
            headers["Authorization"] = authorization
        return self.send(body, headers)


@pytest.fixture(scope="module")
def target(cloud: FakeMicrosoftCloud, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    with running(fuzz_settings(tmp_path_factory.mktemp("teams-fuzz"))) as run:
        url = run.serve([teams_mount(CloudEndpoints(**cloud.endpoints()))])
        yield Target(url, cloud, run.log)


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


@FUZZ
@given(
    body=raw_bodies,
    authorization=st.sampled_from([None, "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", ""]),
    content_type=st.sampled_from(["application/json", "application/json", "text/plain"]),
)
def test_junk_without_a_valid_token_is_never_a_5xx(
    target: Target, body: bytes, authorization: str | None, content_type: str
) -> None:
    target.check(target.post(body, authorization, content_type))


@FUZZ
@given(data=st.data())
def test_malformed_activities_with_a_valid_token_are_never_a_5xx(
    target: Target, data: st.DataObject
) -> None:
    activity = mutated(_activities(target.user), PATHS)
    body = data.draw(activity.map(dumps) | raw_bodies)
    status = target.post(body, target.token, "application/json")
    target.check(status, not_implemented=names_another_invoke(body))


def names_another_invoke(body: bytes) -> bool:
    """An invoke named other than the bot's card action is answered 501 Not Implemented,
    as botbuilder answers it (test_teams_messages pins it): a refusal, not a failure."""
    try:
        activity = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python reads
        return False
    return (
        isinstance(activity, dict)
        and activity.get("type") == "invoke"
        and isinstance(activity.get("name"), str)
        and activity["name"] not in ("", CARD_ACTION_INVOKE)
    )


def test_the_fuzzing_reached_the_bot_and_was_refused_too(target: Target) -> None:
    # Runs after the two above (same module, file order): both outcomes were exercised.
    target.check_both_outcomes()
    assert target.cloud.calls(), "no generated activity ever reached the bot's turn"
