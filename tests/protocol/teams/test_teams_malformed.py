"""Junk at `/api/messages`, with or without a valid token: a 4xx and one log line, never a
5xx or a traceback, and the bot never runs on it."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fakes.harness import BotServer


def _refusals(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.getMessage().startswith("refused POST /api/messages")
    ]


def _no_traceback(caplog: pytest.LogCaptureFixture) -> bool:
    return all(r.exc_info is None and "\n" not in r.getMessage() for r in caplog.records)


async def _post_raw(bot: BotServer, body: bytes, authorization: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if authorization:
        headers["Authorization"] = authorization
    async with bot.http.post(bot.url + "/api/messages", data=body, headers=headers) as response:
        return response.status


RAW = {
    "deeply nested JSON": b"[" * 100_000 + b"]" * 100_000,
    "nested past the bound": json.dumps(
        {
            "type": "message",
            "value": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],
        }
    ).encode(),
    "invalid UTF-8": b'{"type": "\xff"}',
    "null": b"null",
    "NaN": b'{"type": "message", "x": NaN}',
    "an integer of 5000 digits": b'{"type": "message", "x": ' + b"9" * 5000 + b"}",
}


TOKENS = {
    "no token": (lambda cloud: None, 401),
    "a forged token": (lambda cloud: cloud.authorization(key=cloud.stranger_key), 401),
    "a token without exp": (lambda cloud: cloud.authorization(exp=None), 401),
    "a valid token": (lambda cloud: cloud.authorization(), 400),
}


@pytest.mark.parametrize("token", sorted(TOKENS))
@pytest.mark.parametrize("case", sorted(RAW))
async def test_unreadable_bodies_are_a_4xx_and_one_log_line(
    bot: BotServer, caplog: pytest.LogCaptureFixture, case: str, token: str
) -> None:
    caplog.set_level(logging.INFO)
    make_token, expected = TOKENS[token]

    status = await _post_raw(bot, RAW[case], make_token(bot.cloud))

    # Without a valid token the body is never parsed: the answer is 401, whatever it holds.
    assert status == expected
    assert len(_refusals(caplog)) == 1
    assert _no_traceback(caplog)
    assert not bot.cloud.calls()


def _without(activity: dict[str, Any], *path: str) -> dict[str, Any]:
    node = activity
    for key in path[:-1]:
        node = node[key]
    del node[path[-1]]
    return activity


MALFORMED = {
    "no conversation": lambda a: _without(a, "conversation"),
    "no from": lambda a: _without(a, "from"),
    "no conversation id": lambda a: _without(a, "conversation", "id"),
    "conversation as a string": lambda a: {**a, "conversation": "a:1"},
    "from as a list": lambda a: {**a, "from": ["29:1"]},
    "a lone surrogate in the text": lambda a: {**a, "text": "When is \ud800 due?"},
    "text as a number": lambda a: {**a, "text": 42},
    "tenant as a string": lambda a: {**a, "channelData": {"tenant": "contoso"}},
    "a timestamp that is not a date": lambda a: {**a, "timestamp": "yesterday-ish"},
    "membersAdded of strings": lambda a: {**a, "membersAdded": ["28:bot"]},
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_malformed_activities_with_a_valid_token_are_400_and_the_bot_never_runs(
    bot: BotServer, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    caplog.set_level(logging.INFO)
    activity = MALFORMED[case](bot.user().message("When is my invoice due?"))

    answer = await bot.post(activity)

    assert answer.status == 400, answer
    assert len(_refusals(caplog)) == 1
    assert _no_traceback(caplog)
    assert not bot.cloud.calls()


async def test_a_body_over_the_size_limit_is_413_before_it_is_read(
    bot: BotServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    activity = bot.user().message("x" * 2_000_000)

    answer = await bot.post(activity)

    assert answer.status == 413
    assert len(_refusals(caplog)) == 1
    assert _no_traceback(caplog)
