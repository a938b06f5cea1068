"""Small real twins for the ticket tests: a clock that moves only when told, and channels
that fail, rate-limit or write to a file (so deliveries survive a process)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.channel import Delivered, Outgoing
from bot.errors import DeliveryError, DeliveryRefused, RetryLater
from bot.tickets.store import TicketStore
from bot.tickets.values import Ticket


@dataclass
class StepClock:
    now: datetime = field(default_factory=lambda: datetime(2025, 3, 1, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class FlakyChannel:
    """Fails the first `failures` deliveries with a `DeliveryError`, then delivers."""

    name: str
    failures: int
    attempts: int = 0
    delivered: list[Outgoing] = field(default_factory=list)

    async def deliver(self, message: Outgoing) -> Delivered:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise DeliveryError(f"{self.name} is down (attempt {self.attempts})")
        self.delivered.append(message)
        return Delivered(reference=f"{self.name}-{len(self.delivered)}")


@dataclass
class RefusingChannel:
    """Refuses the first `refusals` deliveries for good (a 404: the conversation is gone),
    then delivers (an operator fixed the cause and requeued the row)."""

    name: str
    refusals: int
    attempts: int = 0
    delivered: list[Outgoing] = field(default_factory=list)

    async def deliver(self, message: Outgoing) -> Delivered:
        self.attempts += 1
        if self.attempts <= self.refusals:
            raise DeliveryRefused(f"{self.name} answered 404: conversation not found")
        self.delivered.append(message)
        return Delivered(reference=f"{self.name}-{len(self.delivered)}")


@dataclass
class DownChannel:
    """Down (every delivery fails, as a connector answering 503) while `clock` reads a time
    inside [`down_from`, `down_until`); delivers otherwise. Counts every attempt."""

    name: str
    clock: StepClock
    down_from: datetime
    down_until: datetime
    attempts: int = 0
    delivered: list[Outgoing] = field(default_factory=list)

    async def deliver(self, message: Outgoing) -> Delivered:
        self.attempts += 1
        if self.down_from <= self.clock.now < self.down_until:
            raise DeliveryError(f"{self.name}: HTTP 503 Service Unavailable")
        self.delivered.append(message)
        return Delivered(reference=f"{self.name}-{len(self.delivered)}")


@dataclass
class RateLimitedChannel:
    """Answers the first delivery with HTTP 429 Retry-After, then delivers."""

    name: str
    retry_after: float
    limited: int = 1
    delivered: list[Outgoing] = field(default_factory=list)

    async def deliver(self, message: Outgoing) -> Delivered:
        if self.limited > 0:
            self.limited -= 1
            raise RetryLater(f"{self.name}: 429 Too Many Requests", self.retry_after)
        self.delivered.append(message)
        return Delivered(reference=f"{self.name}-{len(self.delivered)}")


@dataclass
class FileChannel:
    """Appends each delivery as one JSON line (with the delivering process id) to a file."""

    name: str
    path: Path

    async def deliver(self, message: Outgoing) -> Delivered:
        line = json.dumps(
            {
                "pid": os.getpid(),
                "key": message.key,
                "channel": message.channel,
                "conversation": message.conversation,
                "event": message.event,
            }
        )
        # One write() of a short line with O_APPEND: lines from several processes never mix.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)
        return Delivered(reference=f"ts-{message.key}")


def read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def open_refund_ticket(store: TicketStore, conversation: str = "a:conv-1") -> Ticket:
    """A customer's refund question, escalated from a Teams conversation."""
    with store.database.write() as session:
        return store.open_in(
            session,
            customer_id="contoso",
            category="refund",
            route="partner",
            question="Can I get a refund?",
            transcript=[("customer", "Can I get a refund?")],
            evidence=[],
            channel="teams",
            conversation=conversation,
        )
