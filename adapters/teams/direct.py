"""A customer's message turn without botbuilder's per-request machinery.

Measured with py-spy at 32 concurrent conversations (`benchmarks/serve_throughput.py`), about
three quarters of the time the server held the GIL went to botbuilder and msrest, not to the
bot: deserialising each activity into msrest models and back, deep-copying and
re-serialising every outgoing card field by field, and handing each send to a `requests`
call in the event loop's default thread pool. The GIL makes that work serial, so it, not the
encoder, capped throughput.

For `message` activities (what customers send), `DirectTurn` keeps the activity as the JSON
it arrived as and `Connector` posts replies as JSON over one shared aiohttp session, with
the same addressing botbuilder's `TurnContext.send_activity` gives a reply (channel, service
URL, conversation, from/recipient swapped, `replyToId`, locale, `inputHint`) and the same
bearer token (from the credentials botbuilder's authentication made for this request).
Authentication stays botbuilder's (`TeamsEndpoint`). Other activities (invokes, installs,
`expectReplies`) still go through botbuilder's `TurnContext`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import aiohttp

from adapters.http_limits import one_line

SEND_TIMEOUT = 30.0  # seconds for one call to the Bot Connector


class ConnectorError(Exception):
    """The Bot Connector refused an activity (HTTP status and the start of its answer)."""

    def __init__(self, status: int, text: str, headers: Mapping[str, str]) -> None:
        super().__init__(f"Bot Connector answered HTTP {status}: {one_line(text)[:200]}")
        self.status = status
        self.headers = dict(headers)


class Connector:
    """Posts activities to Bot Connector service URLs over one keep-alive session."""

    def __init__(self, timeout: float = SEND_TIMEOUT) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def post(
        self, service_url: str, conversation: str, reply_to: str | None, activity: Any, auth: Any
    ) -> str | None:
        """POST `activity` to the conversation (as a reply to `reply_to` when given); the
        id the connector gave it. `auth`: botbuilder's credentials for the service URL."""
        url = (
            f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation, safe='')}/activities"
        )
        if reply_to:
            url += "/" + quote(reply_to, safe="")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        token = _authorization(auth)
        if token:
            headers["Authorization"] = token
        session = self._open()
        async with session.post(url, json=activity, headers=headers) as response:
            text = await response.text()
            if response.status >= 300:
                raise ConnectorError(response.status, text, response.headers)
        try:
            found = json.loads(text) if text else {}
        except ValueError:
            return None
        return (str(found.get("id") or "") or None) if isinstance(found, dict) else None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _authorization(credentials: Any) -> str | None:
    """The Authorization header botbuilder's credentials would put on a request (None in
    local mode). A token is cached by the credentials; renewing it is a blocking call, as it
    is inside botbuilder's own sends."""
    if credentials is None:
        return None
    headers: dict[str, str] = {}
    credentials.signed_session(SimpleNamespace(headers=headers))
    return headers.get("Authorization")


class DirectTurn:
    """One `message` activity's turn: what `TeamsTurns` needs of botbuilder's `TurnContext`
    (the activity, a per-turn state, sending), on the JSON wire dict."""

    def __init__(self, wire: dict[str, Any], connector: Connector, authenticated: Any) -> None:
        self.wire = wire
        self.turn_state: dict[str, Any] = {}
        self._connector = connector
        self._authenticated = authenticated
        self._credentials: asyncio.Future[Any] | None = None

    async def send(self, activity: Mapping[str, Any]) -> str | None:
        """Send `activity` (type and content) as a reply to this turn's activity."""
        wire = self.wire
        addressed = {
            **activity,
            "channelId": wire["channelId"],
            "serviceUrl": wire["serviceUrl"],
            "conversation": wire["conversation"],
            "from": wire["recipient"],
            "recipient": wire["from"],
        }
        addressed.setdefault("inputHint", "acceptingInput")
        if wire.get("locale"):
            addressed["locale"] = wire["locale"]
        reply_to = wire.get("id") or None
        if reply_to:
            addressed["replyToId"] = reply_to
        credentials = await self._credentials_for(wire["serviceUrl"])
        return await self._connector.post(
            wire["serviceUrl"], wire["conversation"]["id"], reply_to, addressed, credentials
        )

    async def _credentials_for(self, service_url: str) -> Any:
        if self._credentials is None:
            self._credentials = asyncio.ensure_future(self._create_credentials(service_url))
        return await self._credentials

    async def _create_credentials(self, service_url: str) -> Any:
        factory = getattr(self._authenticated, "connector_factory", None)
        if factory is None:
            return None
        client = await factory.create(service_url, getattr(self._authenticated, "audience", None))
        return client.config.credentials
