"""The test-side view of a running server: post activities, read answers, wait."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from adapters.server import CHANNELS
from bot.app import Assistant
from fakes.cloud import FakeMicrosoftCloud
from fakes.teams import TeamsUser

APP_ID = "0f6c2a3e-6d3b-4c8e-9a55-2b1e7c4d9f10"
PARTNER_TENANT = "5d1c9e44-8b0a-4f3e-a2c1-7e6f5a4b3c2d"
KNOWLEDGE = Path(__file__).resolve().parents[3] / "knowledge"


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class BotServer:
    url: str
    app: web.Application
    cloud: FakeMicrosoftCloud
    http: aiohttp.ClientSession
    assistant: Assistant

    @property
    def channels(self) -> dict[str, Any]:
        return self.app[CHANNELS]

    def user(self, **overrides: Any) -> TeamsUser:
        return TeamsUser(service_url=self.cloud.service_url, app_id=self.cloud.app_id, **overrides)

    async def post(
        self,
        activity: dict[str, Any],
        *,
        authorization: str | object | None = ...,
        path: str = "/api/messages",
    ) -> Answer:
        """POST an activity as the Bot Connector would; by default with a valid token."""
        headers = {}
        if authorization is ...:
            authorization = self.cloud.authorization()
        if authorization is not None:
            headers["Authorization"] = str(authorization)
        async with self.http.post(self.url + path, json=activity, headers=headers) as response:
            text = await response.text()
            try:
                body: Any = await response.json(content_type=None) if text else None
            except ValueError:
                body = text
            return Answer(response.status, body, dict(response.headers))

    async def get(self, path: str) -> Answer:
        async with self.http.get(self.url + path) as response:
            return Answer(response.status, await response.text(), dict(response.headers))


async def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(0.02)
