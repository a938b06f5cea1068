"""With an app id, only requests carrying a valid Bot Connector token reach the bot.

Each rejected request gets 401, and the bot never ran: nothing was sent to the Bot
Connector (not even a typing indicator) and the conversation was not stored.
"""

from __future__ import annotations

import time

import pytest
from fakes.harness import APP_ID, BotServer
from fakes.server import serving

from adapters.server import build_app
from adapters.teams.auth import CloudEndpoints
from adapters.teams.mount import teams_mount

OTHER_APP = "11111111-2222-4333-8444-555555555555"


def _bot_never_ran(bot: BotServer, conversation: str) -> bool:
    stored = bot.assistant.storage.conversations.reference("teams", conversation)
    return not bot.cloud.calls() and stored is None


REJECTED = {
    "missing header": lambda cloud: None,
    "not a bearer token": lambda cloud: "Basic dXNlcjpwYXNzd29yZA==",
    "not a JWT": lambda cloud: "Bearer not-a-jwt",
    "forged signature": lambda cloud: cloud.authorization(key=cloud.stranger_key),
    "unknown signing key": lambda cloud: cloud.authorization(
        key=cloud.stranger_key, kid="someone-elses-key"
    ),
    "expired": lambda cloud: cloud.authorization(expires_in=-3600),
    "no expiry": lambda cloud: cloud.authorization(exp=None),
    "expires in the year 2200": lambda cloud: cloud.authorization(exp=7258118400),
    "lives two days": lambda cloud: cloud.authorization(expires_in=2 * 86400),
    "issued two days before it expires": lambda cloud: cloud.authorization(
        iat=int(time.time()) - 2 * 86400 + 3600
    ),
    "issued in the future": lambda cloud: cloud.authorization(iat=int(time.time()) + 3600),
    "wrong audience": lambda cloud: cloud.authorization(aud=OTHER_APP),
    "no audience": lambda cloud: cloud.authorization(aud=None),
    "wrong issuer": lambda cloud: cloud.authorization(iss="https://api.botframework.com"),
    "wrong serviceurl claim": lambda cloud: cloud.authorization(
        serviceurl="https://smba.trafficmanager.net/emea/"
    ),
    "no serviceurl claim": lambda cloud: cloud.authorization(serviceurl=None),
}


@pytest.mark.parametrize("case", sorted(REJECTED))
async def test_a_bad_token_is_401_and_the_bot_never_runs(bot: BotServer, case: str) -> None:
    user = bot.user()
    answer = await bot.post(
        user.message("When is my invoice due?"), authorization=REJECTED[case](bot.cloud)
    )

    assert answer.status == 401, answer
    assert answer.body == {"error": "unauthorized"}
    assert _bot_never_ran(bot, user.conversation)


async def test_the_same_request_with_a_valid_token_runs_the_bot(bot: BotServer) -> None:
    user = bot.user()
    answer = await bot.post(user.message("When is my invoice due?"))

    assert answer.status == 201
    assert not _bot_never_ran(bot, user.conversation)


async def test_a_token_living_a_few_hours_is_accepted(bot: BotServer) -> None:
    user = bot.user()
    token = bot.cloud.authorization(expires_in=6 * 3600)  # Entra's longest default is 90 min

    assert (
        await bot.post(user.message("When is my invoice due?"), authorization=token)
    ).status == 201


async def test_a_key_not_endorsed_for_the_activitys_channel_is_refused(bot: BotServer) -> None:
    # The fake's key is endorsed for msteams only: it may not vouch for a webchat activity.
    activity = bot.user().message("When is my invoice due?")
    activity["channelId"] = "webchat"

    answer = await bot.post(activity)

    assert answer.status == 401
    assert not bot.cloud.calls()


async def test_invokes_are_authenticated_too(bot: BotServer) -> None:
    user = bot.user()
    click = user.execute({"action": "feedback", "helpful": True, "about": "x"})

    answer = await bot.post(click, authorization=bot.cloud.authorization(expires_in=-3600))

    assert answer.status == 401
    assert bot.assistant.storage.feedback.votes() == []


async def test_malformed_requests_are_refused_before_authentication(bot: BotServer) -> None:
    url = bot.url + "/api/messages"
    headers = {"Authorization": bot.cloud.authorization()}
    async with bot.http.post(
        url, data="{not json", headers={**headers, "Content-Type": "application/json"}
    ) as r:
        assert (r.status, await r.json()) == (400, {"error": "request body is not valid JSON"})
    async with bot.http.post(url, json=["not", "an", "activity"], headers=headers) as r:
        assert r.status == 400
    async with bot.http.post(url, data="text=hi", headers=headers) as r:
        assert r.status == 415
    assert not bot.cloud.calls()

    answer = await bot.post(bot.user().message("When is my invoice due?"))  # still serving
    assert answer.status == 201


async def test_unreachable_signing_keys_are_503_not_401(start_server, cloud) -> None:
    # Our own dependency is down: the Bot Connector should retry, not drop the activity.
    endpoints = CloudEndpoints(
        **{**cloud.endpoints(), "openid_metadata_url": cloud.base_url + "/no-such-metadata"}
    )
    async with start_server(mounts=[teams_mount(endpoints)]) as server:
        answer = await server.post(server.user().message("When is my invoice due?"))

    assert answer.status == 503
    assert answer.headers.get("Retry-After")
    assert not cloud.calls()


async def test_a_production_server_does_not_trust_tokens_from_any_other_issuer(
    settings, assistant, cloud
) -> None:
    # No endpoints given: botbuilder validates against Microsoft's own issuer and keys, so a
    # token the fake cloud signed is refused before any key is fetched.
    app = build_app(settings, assistant, mounts=[teams_mount()], dispatch=False)
    async with serving(app) as url:
        import aiohttp

        user = BotServer(url, app, cloud, None, assistant).user()  # type: ignore[arg-type]
        async with aiohttp.ClientSession() as http:
            response = await http.post(
                url + "/api/messages",
                json=user.message("When is my invoice due?"),
                headers={"Authorization": cloud.authorization()},
            )
            assert response.status == 401
    assert not cloud.calls()
    assert settings.teams_app_id == APP_ID


async def test_a_token_just_past_its_expiry_is_within_the_clock_tolerance(bot: BotServer) -> None:
    # botbuilder allows five minutes of clock skew; requiring `exp` must not take that away.
    answer = await bot.post(
        bot.user().message("When is my invoice due?"),
        authorization=bot.cloud.authorization(expires_in=-60),
    )

    assert answer.status == 201
