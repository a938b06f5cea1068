"""The dispatcher: delivers the outbox through the registered channels, at least once.

One round (`run_once`) claims a batch of due rows (see `bot.delivery.outbox` for the claiming
and ordering rules), delivers them concurrently (each row of a batch belongs to a different
ticket-and-channel line, so order within a line is kept) and settles each one:

* delivered: the row is marked delivered; the reference of a "ticket_opened" post becomes
  the ticket's thread, which later agents' rows are sent into;
* `DeliveryRefused` (the platform refused it for good: 401/403/404, a channel that is gone):
  parked as dead with its error, kept for an operator (`billing-bot tickets outbox`,
  `billing-bot tickets requeue ID`);
* `RetryLater`: tried again no sooner than the platform's `retry_after`;
* any other failure (the platform is down, slow or erring): tried again after a capped
  exponential backoff with jitter (`base_delay * 2**(attempt-1)`, capped at `max_delay`,
  scaled by a random 0.5–1.0), for as long as it takes. A message to a customer that is
  still undelivered `window` after it was queued (24 h) is held instead: kept, and sent
  with a "sorry for the delay" line when the customer next writes (see `bot.delivery.outbox`);
  the agents' posts are retried on (late beats never in the partner's own channel);
* no answer within `delivery_timeout` (shorter than the lease): a failure like any other.

A platform that is down never costs a message: nothing becomes dead for being late. While
messages wait, the dispatcher logs the backlog once a minute (`backlog_every`), and
`/metrics` shows its size and the oldest message's age, for an alert.

Database calls run in worker threads, so the event loop keeps serving while they wait.
Several dispatchers may share one PostgreSQL database: `FOR UPDATE SKIP LOCKED` and a lease
give each row to one of them. Leases are short (`lease`, 6 s) and renewed every third of
that while a delivery runs (the heartbeat), so a dispatcher that dies, or a server killed
mid-turn, loses its claims within seconds and a restarted or other process delivers them.
Just before sending, a row is checked again: one settled meanwhile (by a process whose lease
had run out, or by an inline send) is never sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot.channel import TO_CUSTOMERS, Channel
from bot.delivery.outbox import Backlog, Claimed, Outbox
from bot.errors import DeliveryError, DeliveryRefused, RetryLater
from bot.logsafe import loggable
from bot.tickets.store import utcnow

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(  # noqa: PLR0913 (keyword-only tuning, each with its default)
        self,
        outbox: Outbox,  # the storage's own (`Storage.outbox`)
        channels: Mapping[str, Channel],
        *,
        base_delay: float = 2.0,
        max_delay: float = 300.0,
        window: float = 24 * 3600.0,
        lease: float = 6.0,
        delivery_timeout: float = 60.0,
        batch: int = 20,
        poll_interval: float = 1.0,
        wake_gap: float = 0.25,
        backlog_every: float = 60.0,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        if delivery_timeout <= 0 or lease <= 0 or window <= 0:
            raise ValueError("delivery_timeout, lease and window must be positive")
        self._outbox = outbox
        self._channels = dict(channels)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.window = timedelta(seconds=window)
        self._backlog_every = backlog_every
        self.lease = timedelta(seconds=lease)
        self._timeout = delivery_timeout
        self._batch = batch
        self._poll = poll_interval
        # A busy server wakes the dispatcher after every core call; a round that found
        # nothing is followed by another no sooner than this (a claim is a write).
        self._wake_gap = min(wake_gap, poll_interval)
        self._clock = clock
        self._rng = rng or random.Random()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def run_once(self) -> int:
        """Deliver the rows due now; return how many were delivered."""
        claimed = await asyncio.to_thread(
            self._outbox.claim,
            self._channels.keys(),
            now=self._clock(),
            lease=self.lease,
            limit=self._batch,
            defer=timedelta(seconds=max(self.base_delay, self._poll)),
        )
        if not claimed:
            return 0
        heartbeat = asyncio.create_task(self._heartbeat(claimed))
        try:
            results = await asyncio.gather(*(self._deliver(item) for item in claimed))
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
        return sum(results)

    async def _heartbeat(self, claimed: list[Claimed]) -> None:
        """Keep this round's claims alive while it works (a live dispatcher keeps its rows,
        a dead one loses them within one lease)."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                await asyncio.to_thread(
                    self._outbox.renew, claimed, until=self._clock() + self.lease
                )
            except Exception as exc:  # the database is away: the deliveries go on
                log.warning("could not renew outbox leases: %s", exc)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set: straight on while there is work, else every
        `poll_interval` seconds or as soon as `wake()` is called. A failing round (e.g. the
        database is down) is logged and retried; the loop itself never dies of it."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        pause = self._poll
        backlog_checked = self._loop.time()
        while not stop.is_set():
            try:
                delivered = await self.run_once()
                pause = self._poll
            except Exception as exc:
                log.error("outbox round failed; retrying in %.1fs", pause, exc_info=loggable(exc))
                delivered = 0
                pause = min(pause * 2, 60.0)
            if self._loop.time() - backlog_checked >= self._backlog_every:
                backlog_checked = self._loop.time()
                await self._report_backlog()
            if delivered or stop.is_set():
                continue
            quiet_since = self._loop.time()
            await self._idle(stop, pause)
            rest = self._wake_gap - (self._loop.time() - quiet_since)
            if rest > 0 and not stop.is_set():
                await self._idle(stop, rest, wakeable=False)

    async def _report_backlog(self) -> Backlog | None:
        """Log what has waited longer than a minute (the platform is down, or a channel has
        no dispatcher): an operator sees it in the log, an alert in `/metrics`."""
        try:
            backlog = await asyncio.to_thread(self._outbox.backlog, self._clock())
        except Exception as exc:  # the database is away: the round's own error says so
            log.warning("could not read the outbox backlog: %s", exc)
            return None
        if backlog.oldest_seconds is not None and backlog.oldest_seconds >= 60:
            log.warning(
                "outbox backlog: %d message(s) waiting to be delivered, %d held for their "
                "customer's next message; the oldest was queued %.0f s ago",
                backlog.pending,
                backlog.held,
                backlog.oldest_seconds,
            )
        return backlog

    def wake(self) -> None:
        """Ask a running `run_forever` to look at the outbox now (callable from any thread)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    async def _idle(self, stop: asyncio.Event, seconds: float, *, wakeable: bool = True) -> None:
        assert self._wake is not None
        waiters = [asyncio.ensure_future(stop.wait())]
        if wakeable:
            waiters.append(asyncio.ensure_future(self._wake.wait()))
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
            self._wake.clear()

    async def _deliver(self, item: Claimed) -> int:
        message = item.outgoing
        channel = self._channels[message.channel]
        if item.attempts > 1 and not await asyncio.to_thread(self._outbox.still_pending, item):
            return 0  # settled by another process since this claim: already delivered
        try:
            delivered = await asyncio.wait_for(channel.deliver(message), self._timeout)
        except TimeoutError:
            error = f"TimeoutError: no answer within {self._timeout:g} s"
            await self._failed(item, error, self._backoff(item))
            return 0
        except DeliveryRefused as exc:
            log.error("parking %s: the platform refused it for good: %s", message.key, exc)
            await asyncio.to_thread(self._outbox.refused, item, f"DeliveryRefused: {exc}")
            return 0
        except RetryLater as exc:
            retry_at = self._clock() + timedelta(seconds=max(exc.retry_after, 0.0))
            await self._failed(item, f"RetryLater: {exc}", retry_at)
            return 0
        except Exception as exc:  # a channel's bug must not stop the other deliveries
            if not isinstance(exc, DeliveryError):
                log.exception("channel %s raised on %s", message.channel, message.key)
            await self._failed(item, f"{type(exc).__name__}: {exc}", self._backoff(item))
            return 0
        if item.opens_thread and delivered.reference is None:
            log.error(
                "channel %s gave no thread reference for %s; the ticket's later agents' "
                "messages wait until it has one",
                message.channel,
                message.key,
            )
        settled = await asyncio.to_thread(
            self._outbox.delivered, item, delivered.reference, now=self._clock()
        )
        if not settled:
            log.warning("%s was settled by another process meanwhile", message.key)
        return 1

    async def _failed(self, item: Claimed, error: str, retry_at: datetime) -> None:
        """A failure that may pass: try again at `retry_at`, or hold a customer's message
        whose delivery window has closed."""
        if item.outgoing.event in TO_CUSTOMERS and self._clock() >= item.created_at + self.window:
            log.error(
                "holding %s after %d attempts over %s: it goes out when the customer next "
                "writes; last error: %s",
                item.outgoing.key,
                item.attempts,
                self.window,
                error,
            )
            await asyncio.to_thread(self._outbox.hold, item, error)
            return
        log.warning("attempt %d of %s failed: %s", item.attempts, item.outgoing.key, error)
        await asyncio.to_thread(self._outbox.failed, item, error, retry_at=retry_at)

    def _backoff(self, item: Claimed) -> datetime:
        # (The exponent is capped too: agents' posts may be retried for days.)
        delay = min(self.max_delay, self.base_delay * 2 ** min(item.attempts - 1, 32))
        return self._clock() + timedelta(seconds=delay * (0.5 + self._rng.random() / 2))
