"""A customer's message turn without botbuilder's per-request machinery.

Measured with py-spy at 32 concurrent conversations (`benchmarks/serve_throughput.py`), about
three quarters of the time the server held the GIL went to botbuilder and msrest, not to the
bot: deserialising each activity into msrest models and back, deep-copying and
re-serialising every outgoing card field by field, and handing each send to a `requests`
call in the event loop's default thread pool. The GIL makes that work serial, so it, not the
encoder, capped throughput.

For `message` activities (what customers send), `DirectTurn` stands in for botbuilder's
`TurnContext` where `TeamsTurns` uses one (`activity.serialize()`, `turn_state`,
`send_activity`): it keeps the activity as the JSON it arrived as, turns the schema objects
it is asked to send into JSON by their attribute maps (`wire_json`), and `Connector` posts
them over one shared aiohttp session, with the addressing botbuilder gives a reply (channel,
service URL, conversation, from/recipient swapped, `replyToId`, locale, `inputHint`) and the
same bearer token (from the credentials botbuilder's authentication made for the request).
Authentication stays botbuilder's (`TeamsEndpoint`). Other activities (invokes, installs,
`expectReplies`) still go through botbuilder's adapter.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
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


def unreadable(activity: Mapping[str, Any]) -> str | None:
    """Why botbuilder could not read `activity` as its `Activity` model, or None.

    `Activity().deserialize` costs about a millisecond whatever the activity holds (msrest
    looks for each of its ~40 attributes under several spellings). Only some attributes
    can fail to read (dates, booleans, nested models and lists; any value reads as a string
    or an object): each one present is read here by msrest itself, as it would be there.
    """
    readers = _readers()
    for key, value in activity.items():
        kind = readers.get(key)
        if kind is not None and value is not None:
            try:
                _deserializer().deserialize_data(value, kind)
            except Exception as exc:  # msrest raises DeserializationError and friends
                return f"{key}: {exc}"
    return None


@functools.cache
def _readers() -> dict[str, str]:
    """msrest type per wire key (msrest reads keys as spelled), for the attributes whose
    reading can fail."""
    from botbuilder.schema import Activity

    return {
        spec["key"]: spec["type"]
        for spec in Activity._attribute_map.values()
        if spec["type"] not in ("str", "object")
    }


@functools.cache
def _deserializer() -> Any:
    from botbuilder.schema import Activity
    from msrest.serialization import Deserializer

    return Deserializer(Activity._infer_class_models())


def wire_json(model: Any) -> Any:
    """A botbuilder schema object as the protocol's JSON, by its msrest attribute map (None
    values left out, as msrest leaves them); other values as they are."""
    attributes = getattr(model, "_attribute_map", None)
    if attributes is not None:
        found = {}
        for name, spec in attributes.items():
            value = getattr(model, name, None)
            if value is not None:
                found[spec["key"]] = wire_json(value)
        return found
    if isinstance(model, list):
        return [wire_json(item) for item in model]
    if isinstance(model, Enum):
        return model.value
    if isinstance(model, datetime):
        return model.isoformat()
    return model


class _Wire:
    """`turn.activity`: the incoming activity; `serialize()` gives its JSON, as msrest's does."""

    def __init__(self, wire: dict[str, Any]) -> None:
        self._wire = wire
        self.type = wire.get("type")
        self.id = wire.get("id")

    def serialize(self) -> dict[str, Any]:
        return self._wire


class DirectTurn:
    """One `message` activity's turn: what `TeamsTurns` needs of botbuilder's `TurnContext`
    (the activity, a per-turn state, sending), on the JSON wire dict."""

    def __init__(self, wire: dict[str, Any], connector: Connector, authenticated: Any) -> None:
        self.wire = wire
        self.activity = _Wire(wire)
        self.turn_state: dict[str, Any] = {}
        self._connector = connector
        self._authenticated = authenticated
        self._credentials: asyncio.Future[Any] | None = None

    async def send_activity(self, activity: Any) -> Any:
        """`TurnContext.send_activity`: a text, or a schema `Activity`; its `ResourceResponse`."""
        from botbuilder.schema import ResourceResponse

        body = {"type": "message", "text": activity} if isinstance(activity, str) else None
        sent = await self.send(body if body is not None else wire_json(activity))
        return ResourceResponse(id=sent)

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
