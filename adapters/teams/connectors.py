"""Reuse Bot Connector clients across turns instead of building two per activity.

botbuilder 4.17 builds a new `ConnectorClient` and a new `TokenApiClient` for every inbound
activity and every proactive message. Each one builds an msrest configuration whose retry
policy computes its status list with a quadratic list scan (about 4 ms of CPU each, measured
by `benchmarks/teams_server.py`), and each opens new connections to the Bot Connector.
`ReusingAuthentication` wraps botbuilder's authentication and keeps the clients, per app id,
service URL and audience; authentication itself is untouched.

Every client has the SDK's retries switched off and a bounded wait: a reply that fails is
retried by the outbox (durably, with backoff, honouring Retry-After), never resent by the
SDK behind the outbox's back. Proactive sends get clients of their own.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from botframework.connector.auth import BotFrameworkAuthentication, ConnectorFactory

MAX_CLIENTS = 64  # service URLs are a handful per cloud region; this bounds a misbehaving peer
SEND_TIMEOUT = 30  # seconds for one call to the Bot Connector


class _Clients:
    """A small bounded LRU of clients."""

    def __init__(self) -> None:
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> Any | None:
        client = self._items.get(key)
        if client is not None:
            self._items.move_to_end(key)
        return client

    def put(self, key: tuple[Any, ...], client: Any) -> None:
        self._items[key] = client
        if len(self._items) > MAX_CLIENTS:
            self._items.popitem(last=False)


class _ReusingFactory(ConnectorFactory):
    def __init__(
        self,
        inner: ConnectorFactory,
        app_id: str | None,
        clients: _Clients,
        configure: Callable[[Any], None] | None,
    ) -> None:
        self._inner = inner
        self._app_id = app_id
        self._clients = clients
        self._configure = configure

    async def create(self, service_url: str, audience: str | None = None) -> Any:
        key = (self._app_id, service_url, audience)
        client = self._clients.get(key)
        if client is None:
            client = await self._inner.create(service_url, audience)
            if self._configure is not None:
                self._configure(client)
            self._clients.put(key, client)
        return client


class ReusingAuthentication(BotFrameworkAuthentication):
    def __init__(self, inner: BotFrameworkAuthentication) -> None:
        self._inner = inner
        self._turn_clients = _Clients()
        self._proactive_clients = _Clients()
        self._token_clients = _Clients()

    async def authenticate_request(self, activity: Any, auth_header: str) -> Any:
        result = await self._inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = _ReusingFactory(
                result.connector_factory,
                _app_id(result.claims_identity),
                self._turn_clients,
                no_hidden_retries,
            )
        return result

    def create_connector_factory(self, claims_identity: Any) -> ConnectorFactory:
        # Only proactive sends (continue_conversation) come this way.
        return _ReusingFactory(
            self._inner.create_connector_factory(claims_identity),
            _app_id(claims_identity),
            self._proactive_clients,
            no_hidden_retries,
        )

    async def create_user_token_client(self, claims_identity: Any) -> Any:
        key = (_app_id(claims_identity),)
        client = self._token_clients.get(key)
        if client is None:
            client = await self._inner.create_user_token_client(claims_identity)
            self._token_clients.put(key, client)
        return client

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> Any:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_bot_framework_client(self) -> Any:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return self._inner.get_originating_audience()

    async def authenticate_channel_request(self, auth_header: str) -> Any:
        return await self._inner.authenticate_channel_request(auth_header)


def no_hidden_retries(client: Any) -> None:
    """No retries inside the SDK (msrest asks urllib3 for three, honouring Retry-After, in a
    worker thread; with urllib3 2 they miss POST because msrest names the removed
    `method_whitelist`, but being explicit keeps it so), and a bounded wait."""
    config = client.config
    config.retry_policy.retries = 0
    config.retry_policy.policy.status_forcelist = set()
    config.connection.timeout = SEND_TIMEOUT


def _app_id(claims_identity: Any) -> str | None:
    from botframework.connector.auth import AuthenticationConstants

    claims = getattr(claims_identity, "claims", None) or {}
    return claims.get(AuthenticationConstants.AUDIENCE_CLAIM) or claims.get(
        AuthenticationConstants.APP_ID_CLAIM
    )
