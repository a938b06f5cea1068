"""Slack as the tests see it: `DeskServer` signs requests the way Slack does (v0 HMAC over
`v0:{timestamp}:{raw body}`) and builds event, interaction and slash-command payloads.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

from fake_slack import FakeSlack
from fakes.harness import eventually

from bot.tickets.values import Ticket

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "CESCALATE1"
AGENT = "UAGENT01"

_ids = itertools.count(1)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class Answer:
    status: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


@dataclass
class DeskServer:
    bot: Any  # conftest.BotServer
    slack: FakeSlack

    @property
    def store(self) -> Any:
        return self.bot.assistant.tickets

    async def send(
        self,
        body: bytes,
        content_type: str,
        *,
        secret: str = SECRET,
        age: float = 0.0,
        retry: int | None = None,
    ) -> Answer:
        timestamp = str(int(time.time() - age))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature(secret, timestamp, body),
        }
        if retry is not None:
            headers["X-Slack-Retry-Num"] = str(retry)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        async with self.bot.http.post(
            self.bot.url + "/slack/events", data=body, headers=headers
        ) as response:
            return Answer(response.status, await response.text())

    async def event(
        self, event: dict[str, Any], *, event_id: str | None = None, **options: Any
    ) -> Answer:
        body = {
            "token": "unused",
            "team_id": "T0001",
            "api_app_id": "A0001",
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):08d}",
            "event_time": int(time.time()),
            "event": event,
        }
        return await self.send(json.dumps(body).encode(), "application/json", **options)

    async def thread_reply(
        self, ticket: Ticket, text: str, *, user: str = AGENT, **options: Any
    ) -> Answer:
        assert ticket.thread, "the ticket's post has not reached Slack yet"
        return await self.event(
            {
                "type": "message",
                "channel": CHANNEL,
                "user": user,
                "text": text,
                "ts": f"1800000000.{next(_ids):06d}",
                "thread_ts": ticket.thread,
            },
            **options,
        )

    async def click(
        self,
        action: dict[str, Any],
        ticket: Ticket,
        *,
        user: str = AGENT,
        trigger_id: str | None = None,
    ) -> Answer:
        """One click as Slack posts it; each click has its own `trigger_id` unless given."""
        payload = {
            "type": "block_actions",
            "team": {"id": "T0001"},
            "user": {"id": user, "name": user.lower()},
            "api_app_id": "A0001",
            "trigger_id": trigger_id or f"{next(_ids)}.1700000000.abcdef",
            "channel": {"id": CHANNEL},
            "container": {"type": "message", "message_ts": ticket.thread},
            "message": {"ts": ticket.thread, "type": "message"},
            "response_url": self.slack.response_url("action"),
            "actions": [{"block_id": f"ticket:{ticket.number}", "action_ts": "1.0", **action}],
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()
        return await self.send(body, "application/x-www-form-urlencoded")

    async def command(self, text: str, *, user: str = AGENT, name: str = "cmd") -> Answer:
        form = {
            "token": "unused",
            "team_id": "T0001",
            "channel_id": "D0AGENT01",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/billing",
            "text": text,
            "api_app_id": "A0001",
            "response_url": self.slack.response_url(name),
            "trigger_id": "1.2.3",
        }
        body = urllib.parse.urlencode(form).encode()
        return await self.send(body, "application/x-www-form-urlencoded")

    async def open_ticket(
        self,
        question: str = "Please refund the duplicate charge on NW-2026-0477",
        conversation: str | None = None,
    ) -> Ticket:
        """A ticket for Aoife (Contoso) in Teams; she has talked to the bot before, so the
        server knows her conversation and can reach her proactively. (One active ticket per
        conversation: a second one needs another `conversation`.)"""
        user = self.bot.user(**({"conversation": conversation} if conversation else {}))
        hello = await self.bot.post(user.message("When is my next invoice due?"))
        assert hello.status in (200, 201), hello
        self.bot.cloud.clear()
        with self.store.database.write() as session:
            return self.store.open_in(
                session,
                customer_id="contoso",
                category="billing_dispute",
                route="partner_billing",
                question=question,
                transcript=[("customer", question)],
                evidence=["invoices.csv:12 NW-2026-0477 Microsoft 365 Business Standard"],
                channel="teams",
                conversation=user.conversation,
            )

    async def posted(self, ticket: Ticket) -> Ticket:
        """Wait until the dispatcher has posted the ticket in Slack; the ticket with its thread."""
        return await eventually(lambda: (t := self.store.get(ticket.number)).thread and t)
