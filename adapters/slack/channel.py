"""`SlackChannel`: how the outbox reaches the agents' escalations channel.

    ticket_opened     chat.postMessage in the channel; its `ts` becomes the ticket's thread
    ticket_updated    chat.update of that thread's parent post (the ticket as it is now)
    customer_message  chat.postMessage into the thread
    payment_claimed   chat.postMessage in the channel: a customer says an invoice is paid
    collections_digest  chat.postMessage in the channel: the day's collections digest
    weekly_report     chat.postMessage in the channel: last week's figures (adapters.slack.report)

A Slack HTTP 429 becomes `RetryLater` with its Retry-After; an API error that no retry can
mend (the channel is gone or archived, the token revoked, the post deleted: `REFUSED`)
becomes `DeliveryRefused`, which the dispatcher parks for an operator; any other failure (a
5xx, a refused connection, a timeout) becomes `DeliveryError`, retried until Slack is back.
A delivery already made is never repeated: the outbox row's status is the persisted delivery
key (see `bot.delivery.outbox`).

A ticket's post names its ticket and its outbox row in Slack's own message metadata
(`billing_ticket`), which makes the one gap the status leaves closable: a process killed
after Slack took the post and before its `ts` was recorded. The next attempt looks for the
post in the channel first and adopts it instead of posting the ticket twice
(`chat.postMessage` has no idempotency key), and an agent's reply in a thread the database
does not know yet finds its ticket from the post (`ticket_of_post`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import customer_line, payment_claim_line, ticket_blocks, ticket_text
from adapters.slack.collections import digest_blocks, digest_text
from adapters.slack.report import report_blocks, report_text
from bot.channel import Delivered, OutboxEvent, Outgoing
from bot.errors import DeliveryError, DeliveryRefused, RetryLater
from bot.locale import SOURCE_LANGUAGE

DEFAULT_RETRY_AFTER = 1.0
TICKET_POST = "billing_ticket"  # metadata event type of a ticket's post
DIGEST_POST = "billing_collections_digest"  # ... of a collections digest's post
REPORT_POST = "billing_weekly_report"  # ... of a weekly report's post
POSTS = (TICKET_POST, DIGEST_POST, REPORT_POST)  # posts adopted by a retry instead of posted again
HISTORY_LIMIT = 200  # recent channel posts searched for an earlier attempt's post
# Slack API errors that say the request can never succeed as it is (slack.dev's method
# pages): retrying would only wait for an operator's fix.
REFUSED = frozenset(
    {
        "account_inactive",
        "cant_update_message",
        "channel_not_found",
        "ekm_access_denied",
        "invalid_arguments",
        "invalid_auth",
        "invalid_blocks",
        "is_archived",
        "message_not_found",
        "missing_scope",
        "msg_too_long",
        "no_permission",
        "not_authed",
        "not_in_channel",
        "restricted_action",
        "team_access_not_granted",
        "token_expired",
        "token_revoked",
    }
)


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
            failure = DeliveryRefused if error in REFUSED else DeliveryError
            raise failure(
                f"Slack refused {message.event} {message.key}: HTTP {response.status_code} "
                f"{error or ''}".rstrip()
            ) from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise DeliveryError(f"Slack unreachable for {message.key}: {exc!r}") from exc

    async def _deliver(self, message: Outgoing) -> Delivered:
        body = message.body
        if message.event == OutboxEvent.TICKET_OPENED:
            ticket = body["ticket"]
            if message.attempt > 1 and (posted := await self._posted(message.key)):
                return Delivered(reference=posted)  # an earlier attempt's post: adopted
            response = await self._client.chat_postMessage(
                channel=self._channel,
                text=ticket_text(ticket, self._language),
                blocks=ticket_blocks(ticket, self._categories, self._language),
                unfurl_links=False,
                metadata={
                    "event_type": TICKET_POST,
                    "event_payload": {"ticket": str(ticket["number"]), "delivery": message.key},
                },
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
        if message.event == OutboxEvent.PAYMENT_CLAIMED:
            response = await self._client.chat_postMessage(
                channel=self._channel, text=payment_claim_line(body, self._language)
            )
            return Delivered(reference=str(response["ts"]))
        if message.event == OutboxEvent.COLLECTIONS_DIGEST:
            # Adopted like a ticket's post: a retry after a post whose `ts` was not recorded
            # finds it by its metadata instead of posting the day's digest twice.
            if message.attempt > 1 and (posted := await self._posted(message.key)):
                return Delivered(reference=posted)
            response = await self._client.chat_postMessage(
                channel=self._channel,
                text=digest_text(body, self._language),
                blocks=digest_blocks(body, self._language),
                unfurl_links=False,
                metadata={"event_type": DIGEST_POST, "event_payload": {"delivery": message.key}},
            )
            return Delivered(reference=str(response["ts"]))
        if message.event == OutboxEvent.WEEKLY_REPORT:
            if message.attempt > 1 and (posted := await self._posted(message.key)):
                return Delivered(reference=posted)  # an earlier attempt's post: adopted
            response = await self._client.chat_postMessage(
                channel=self._channel,
                text=report_text(body, self._language),
                blocks=report_blocks(body, self._language),
                metadata={"event_type": REPORT_POST, "event_payload": {"delivery": message.key}},
            )
            return Delivered(reference=str(response["ts"]))
        raise DeliveryRefused(f"Slack has no rendering for outbox event {str(message.event)!r}")

    async def _posted(self, key: str) -> str | None:
        """The `ts` of a recent ticket post made for outbox row `key`, if any."""
        history = await self._client.conversations_history(
            channel=self._channel, limit=HISTORY_LIMIT, include_all_metadata=True
        )
        for post in history.get("messages") or []:
            if _payload(post).get("delivery") == key and post.get("ts"):
                return str(post["ts"])
        return None

    @staticmethod
    def _thread(message: Outgoing) -> str:
        if not message.conversation:
            raise DeliveryError(f"{message.key}: no Slack thread to send {message.event} into")
        return message.conversation


async def ticket_of_post(client: AsyncWebClient, channel: str, ts: str) -> str | None:
    """The ticket number a post in `channel` names in its metadata (None: not a ticket's)."""
    history = await client.conversations_history(
        channel=channel, latest=ts, oldest=ts, inclusive=True, limit=1, include_all_metadata=True
    )
    for post in history.get("messages") or []:
        if post.get("ts") == ts and (number := _payload(post).get("ticket")):
            return str(number)
    return None


def _payload(post: Any) -> dict[str, Any]:
    metadata = post.get("metadata") if isinstance(post, dict) else None
    if not isinstance(metadata, dict) or metadata.get("event_type") not in POSTS:
        return {}
    payload = metadata.get("event_payload")
    return payload if isinstance(payload, dict) else {}


def _retry_after(headers: Any) -> float:
    try:
        return float(headers.get("Retry-After", DEFAULT_RETRY_AFTER))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
