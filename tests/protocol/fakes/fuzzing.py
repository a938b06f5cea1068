"""What the fuzz tests of every endpoint share: the Hypothesis settings, a real server on a
loop thread (the real core, the deterministic embedder) with every log record kept, and the
check each generated request must pass: no 5xx, no traceback in the log."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from hypothesis import HealthCheck, settings

from adapters.server import Mount, build_app
from bot.app import Assistant, build_assistant
from bot.config import Settings, load_settings
from bot.retrieval.embedder import HashingEmbedder
from fakes.harness import APP_ID, KNOWLEDGE, PARTNER_TENANT
from fakes.threaded import KeptRecords, LoopThread, entered, served, tracebacks

T = TypeVar("T")
EXAMPLES = 500
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)


def fuzz_settings(data: Path, **extra: Any) -> Settings:
    """A Teams bot with an app id (authentication on), SQLite in `data`, the sample folder."""
    return load_settings(
        knowledge_dir=KNOWLEDGE,
        data_dir=data,
        database_url=f"sqlite:///{(data / 'billing.db').as_posix()}",
        teams_app_id=APP_ID,
        teams_app_password="not-used",
        teams_app_type="SingleTenant",
        teams_app_tenant_id=PARTNER_TENANT,
        **extra,
    )


class Endpoint:
    """One endpoint of the served app, posted to with a blocking client; keeps every status."""

    def __init__(self, url: str, log: KeptRecords) -> None:
        self.url = url
        self.log = log
        self.http = requests.Session()
        self.statuses: list[int] = []

    def send(self, body: bytes, headers: dict[str, str]) -> int:
        status = self.http.post(self.url, data=body, headers=headers, timeout=30).status_code
        self.statuses.append(status)
        return status

    def check(self, status: int, *, not_implemented: bool = False) -> None:
        """No 5xx (but 501 when the request asks for what the bot `not_implemented`), and
        nothing logged since the last check carries a traceback."""
        assert status < 500 or (not_implemented and status == 501), status
        assert not tracebacks(self.log.take())

    def check_both_outcomes(self) -> None:
        """Every test of the module ran, and generated requests were both taken and refused."""
        assert len(self.statuses) >= 2 * EXAMPLES
        assert {s for s in self.statuses if s < 300} and {s for s in self.statuses if s >= 400}


@dataclass
class Running:
    config: Settings
    assistant: Assistant
    thread: LoopThread
    log: KeptRecords
    _stack: contextlib.ExitStack

    def enter(self, factory: Callable[[], contextlib.AbstractAsyncContextManager[T]]) -> T:
        """Enter an async context (a fake service) on the loop thread, until the run ends."""
        return self._stack.enter_context(entered(self.thread, factory))

    def serve(self, mounts: Sequence[Mount]) -> str:
        """Serve the app with these mounts until the run ends; its URL."""
        return str(
            self._stack.enter_context(
                served(self.thread, lambda: build_app(self.config, self.assistant, mounts=mounts))
            )
        )


@contextlib.contextmanager
def running(config: Settings) -> Iterator[Running]:
    """The real core on `config`, a loop thread to serve it on, and the log kept meanwhile."""
    assistant = build_assistant(config, embedder=HashingEmbedder())
    thread = LoopThread()
    log = KeptRecords()
    try:
        with log.installed(), contextlib.ExitStack() as stack:
            yield Running(config, assistant, thread, log, stack)
    finally:
        thread.close()
        assistant.tickets.close()
