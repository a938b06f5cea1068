"""`SlackChannel`: how the outbox reaches the agents' escalations channel.

    ticket_opened     chat.postMessage in the channel; its `ts` becomes the ticket's thread
    ticket_updated    chat.update of that thread's parent post (the ticket as it is now)
    customer_message  chat.postMessage into the thread

A Slack HTTP 429 becomes `RetryLater` with its Retry-After; any other failure (an API error,
a refused connection) becomes `DeliveryError`, so the dispatcher retries and, in the end,
parks the row for an operator. A delivery already made is never repeated: the outbox row's
status is the persisted delivery key (see `bot.tickets.outbox`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import customer_line, ticket_blocks, ticket_text
from bot.channel import Delivered, OutboxEvent, Outgoing
from bot.errors import DeliveryError, RetryLater
from bot.locale import SOURCE_LANGUAGE

DEFAULT_RETRY_AFTER = 1.0


class SlackChannel:
    name = "slack"

    def __init__(
        self,
        client: AsyncWebClient,
        channel_id: str,
        categories: Sequence[tuple[str, str]],
        language: str = SOURCE_LANGUAGE,
    ) -> None:
        self._client = client
        self._channel = channel_id
        self._categories = tuple(categories)
        self._language = language  # the desk's (SLACK_LANGUAGE)

    async def deliver(self, message: Outgoing) -> Delivered:
        try:
            return await self._deliver(message)
        except SlackApiError as exc:
            response = exc.response
            if response.status_code == 429:
                raise RetryLater(
                    f"Slack rate-limited {message.event} {message.key}",
                    _retry_after(response.headers),
                ) from exc
            error = response.get("error") if isinstance(response.data, dict) else None
            raise DeliveryError(
                f"Slack refused {message.event} {message.key}: HTTP {response.status_code} "
                f"{error or ''}".rstrip()
            ) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise DeliveryError(f"Slack unreachable for {message.key}: {exc!r}") from exc

    async def _deliver(self, message: Outgoing) -> Delivered:
        body = message.body
        if message.event == OutboxEvent.TICKET_OPENED:
            ticket = body["ticket"]
            response = await self._client.chat_postMessage(
                channel=self._channel,
                text=ticket_text(ticket, self._language),
                blocks=ticket_blocks(ticket, self._categories, self._language),
                unfurl_links=False,
            )
            return Delivered(reference=str(response["ts"]))
        if message.event == OutboxEvent.TICKET_UPDATED:
            ticket = body["ticket"]
            await self._client.chat_update(
                channel=self._channel,
                ts=self._thread(message),
                text=ticket_text(ticket, self._language),
                blocks=ticket_blocks(ticket, self._categories, self._language),
            )
            return Delivered(reference=message.conversation)
        if message.event == OutboxEvent.CUSTOMER_MESSAGE:
            response = await self._client.chat_postMessage(
                channel=self._channel,
                thread_ts=self._thread(message),
                text=customer_line(body, self._language),
                unfurl_links=False,
            )
            return Delivered(reference=str(response["ts"]))
        raise DeliveryError(f"Slack has no rendering for outbox event {message.event!r}")

    @staticmethod
    def _thread(message: Outgoing) -> str:
        if not message.conversation:
            raise DeliveryError(f"{message.key}: no Slack thread to send {message.event} into")
        return message.conversation


def _retry_after(headers: Any) -> float:
    try:
        return float(headers.get("Retry-After", DEFAULT_RETRY_AFTER))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
