"""A served app on its own event loop thread, for synchronous tests (Hypothesis) that post
to it with a blocking HTTP client, and a log handler that keeps every record."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from aiohttp import web

from fakes.server import serving

T = TypeVar("T")


class LoopThread:
    """An asyncio loop running in a daemon thread; `run(coro)` waits for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Awaitable[T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)  # type: ignore[arg-type]

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@contextlib.contextmanager
def entered(
    thread: LoopThread, factory: Callable[[], contextlib.AbstractAsyncContextManager[T]]
) -> Iterator[T]:
    """Enter the async context manager `factory()` makes, on the loop thread, for the block."""
    stack = contextlib.AsyncExitStack()

    async def start() -> T:
        return await stack.enter_async_context(factory())

    value = thread.run(start())
    try:
        yield value
    finally:
        thread.run(stack.aclose())


def served(thread: LoopThread, app_factory: Callable[[], web.Application]) -> Any:
    """Serve the app `app_factory()` builds (on the loop thread) for the block; its URL."""
    return entered(thread, lambda: serving(app_factory()))


class KeptRecords(logging.Handler):
    """Every record logged while installed (on the root logger)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._lock_records = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock_records:
            self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        with self._lock_records:
            taken, self.records = self.records, []
        return taken

    @contextlib.contextmanager
    def installed(self, level: int = logging.INFO) -> Iterator[KeptRecords]:
        root = logging.getLogger()
        previous = root.level
        root.addHandler(self)
        root.setLevel(level)
        try:
            yield self
        finally:
            root.removeHandler(self)
            root.setLevel(previous)


def tracebacks(records: list[logging.LogRecord]) -> list[str]:
    """The records that carry a traceback or span several lines, formatted for a message."""
    bad: list[Any] = []
    for record in records:
        message = record.getMessage()
        if record.exc_info or record.stack_info or "\n" in message:
            bad.append(f"{record.name}: {message[:300]}")
    return bad
