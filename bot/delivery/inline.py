"""`InlineSends`: a committed reply sent at once by the adapter, its outbox row settled after.

The core commits a turn with its reply as an outbox row already claimed by this process
(`Outbox.enqueue_claimed_in`). The adapter then sends it inline, through this helper, with a
channel's own send function; the row is settled as delivered, or released to the outbox
dispatcher when the send fails. The protocol, the same for every channel:

- heartbeat: while the send runs, its claim is renewed (every third of `INLINE_LEASE`), so
  neither the dispatcher nor a redelivery sends the row while this send may still succeed;
- a send is never abandoned: one that outlasts `timeout` goes on after the caller is told
  "not delivered yet" (a platform SDK may send from a worker thread, where cancelling the
  wait never cancels the request), keeps its claim and settles the row when it ends;
- settle: a delivered row is recorded on threads of its own (`SETTLERS`), never queued
  behind turns waiting in the core's pool, so the window in which a process killed after
  the send leaves the row undelivered is one short statement; a failed send is released
  through the core's pool (which wakes the dispatcher to deliver it at once);
- an outcome that cannot be recorded is retried briefly (`SETTLE_RETRIES`); if it still
  cannot, the claim runs out and the dispatcher sends the row: once more under the same key,
  never lost.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.delivery.outbox import Claimed, Outbox
from bot.storage.turn import INLINE_LEASE

log = logging.getLogger(__name__)

CoreRunner = Callable[..., Awaitable[Any]]  # run_core(fn, *args) -> fn(*args), off the loop
Send = Callable[[], Awaitable[str | None]]  # sends the reply; the platform's reference
Clock = Callable[[], datetime]
# Seconds the caller waits for the inline send before hearing "not delivered yet"; the send
# itself goes on, holding its claim on the row, until it succeeds or fails.
INLINE_TIMEOUT = 4.0
SETTLE_RETRIES = (0.2, 1.0)  # seconds between attempts to record an inline send's outcome
SHUTDOWN_GRACE = 10.0  # seconds inline sends still on their way get when the server stops
SETTLERS = 2  # threads that record inline sends' outcomes (one short statement each)
MAX_LOGGED = 160  # characters of a send's error that reach the log


def _wall_clock() -> datetime:
    return datetime.now(UTC)


class InlineSends:
    """Inline sends of claimed outbox rows: `await sends.send(delivery, send)`."""

    def __init__(
        self,
        outbox: Outbox,
        run_core: CoreRunner,
        *,
        timeout: float = INLINE_TIMEOUT,
        lease: timedelta = INLINE_LEASE,
        now: Clock = _wall_clock,
    ) -> None:
        self._outbox = outbox
        self._run_core = run_core
        self._timeout = timeout
        self._lease = lease
        self._now = now
        self._sending: set[asyncio.Future[bool]] = set()  # sends still on their way
        self._settlers = ThreadPoolExecutor(SETTLERS, thread_name_prefix="settle")

    async def send(self, delivery: Claimed, send: Send) -> bool:
        """Send a committed reply now: True when it went out within the timeout. False
        means "not delivered yet": it failed (the row is released to the dispatcher) or it
        is still on its way (holding its claim until it ends)."""
        sending = asyncio.ensure_future(self._deliver(delivery, send))
        self._sending.add(sending)
        sending.add_done_callback(self._sending.discard)
        try:
            return await asyncio.wait_for(asyncio.shield(sending), self._timeout)
        except TimeoutError:
            log.warning(
                "reply %s still on its way after %.0f s; it keeps its claim until it ends",
                delivery.outgoing.key,
                self._timeout,
            )
            return False

    async def settle(self, delivery: Claimed, reference: str | None) -> None:
        """Settle a row delivered some other way (e.g. in the HTTP answer to the request)."""
        await self._run_core(self._delivered, delivery, reference)

    async def drain(self, timeout: float = SHUTDOWN_GRACE) -> None:
        """Let sends still on their way end (and settle) before the server stops."""
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=timeout)
        self._settlers.shutdown(wait=False)

    async def _deliver(self, delivery: Claimed, send: Send) -> bool:
        """Send, then settle the row (delivered) or release it to the dispatcher; the claim
        is renewed meanwhile."""
        heartbeat = asyncio.ensure_future(self._keep_claim(delivery))
        try:
            try:
                reference = await send()
            except Exception as exc:
                log.warning(
                    "reply %s not sent inline (%s); the outbox delivers it",
                    delivery.outgoing.key,
                    _one_line(f"{type(exc).__name__}: {exc}"),
                )
                await self._record(self._run_core, self._release, delivery, f"inline send: {exc!r}")
                return False
            await self._record(self._on_settler, self._delivered, delivery, reference)
            return True
        finally:
            heartbeat.cancel()

    async def _keep_claim(self, delivery: Claimed) -> None:
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                await self._run_core(self._renew, delivery)
            except Exception as exc:  # the database is away: the claim may run out
                log.warning("could not renew the claim on %s: %s", delivery.outgoing.key, exc)

    async def _on_settler(self, fn: Callable[..., Any], *args: Any) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._settlers, functools.partial(fn, *args))

    async def _record(
        self, run: CoreRunner, outcome: Callable[[Claimed, Any], None], *args: Any
    ) -> None:
        """Store a send's outcome (with `run`), retrying briefly."""
        for pause in (*SETTLE_RETRIES, None):
            try:
                await run(outcome, *args)
                return
            except Exception as exc:
                if pause is None:
                    log.error("could not record the outcome of %s: %s", args[0].outgoing.key, exc)
                    return
                await asyncio.sleep(pause)

    def _renew(self, delivery: Claimed) -> None:
        self._outbox.renew([delivery], until=self._now() + self._lease)

    def _release(self, delivery: Claimed, error: str) -> None:
        """Hand the reply to the dispatcher (due now, unless a redelivery claimed it)."""
        self._outbox.release(delivery, error)

    def _delivered(self, delivery: Claimed, reference: str | None) -> None:
        self._outbox.delivered(delivery, reference, now=self._now())


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_LOGGED else flat[: MAX_LOGGED - 1] + "…"
