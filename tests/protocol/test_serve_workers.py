"""`billing-bot serve --workers 2` as an operator runs it: real processes on one port, Teams
in local mode posting answers to the fake Bot Connector."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from fakes.cloud import FakeMicrosoftCloud
from fakes.harness import APP_ID, KNOWLEDGE
from fakes.teams import TeamsUser

ROOT = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "adapters.cli", "serve"]
SERVING = re.compile(r"serving on http://127\.0\.0\.1:(\d+), 2 workers")


class Served:
    """A `serve` process tree: the supervisor and its workers, and what they print."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.said: list[str] = []
        self._port: queue.Queue[int | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()  # reads on: a full pipe would block the server
        port = self._port.get(timeout=60)
        if port is None:
            raise AssertionError(f"serve ended without saying where it serves: {self.said}")
        self.url = f"http://127.0.0.1:{port}"

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.said.append(line)
            found = SERVING.search(line)
            if found:
                self._port.put(int(found[1]))
        self._port.put(None)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for worker in _children(self.process.pid):
            os.kill(worker, signal.SIGKILL)
        self._reader.join(10)

    def workers(self) -> list[int]:
        return _children(self.process.pid)

    def wait_for_workers(self, count: int, other_than: frozenset[int] = frozenset()) -> list[int]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = self.workers()
            if len(found) == count and not other_than & set(found):
                return found
            time.sleep(0.1)
        raise AssertionError(f"expected {count} workers, have {self.workers()}")


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def start_serve(tmp_path: Path, **env: str) -> Served:
    process = subprocess.Popen(
        [*SERVE, "--host", "127.0.0.1", "--port", "0", "--workers", "2", "--log-level", "warning"],
        cwd=ROOT,
        env={
            **os.environ,
            "KNOWLEDGE_DIR": str(KNOWLEDGE),
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": "",
            "TEAMS_APP_ID": "",
            "SLACK_BOT_TOKEN": "",
            "EMBEDDING_MODEL": "hashing",
            "EMBEDDING_MODEL_ES": "hashing",
            **env,
        },
        stderr=subprocess.PIPE,
        text=True,
    )
    return Served(process)


@pytest.fixture(scope="module")
def connector() -> Iterator[FakeMicrosoftCloud]:
    with FakeMicrosoftCloud(APP_ID) as fake:
        fake.accept_anonymous = True  # local mode sends no token
        yield fake


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    serving = start_serve(tmp_path)
    try:
        yield serving
    finally:
        serving.stop()


async def ready(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                async with http.get(url + "/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("/readyz never answered 200")


async def ask_all(served: Served, connector: FakeMicrosoftCloud, tag: str, count: int) -> None:
    """`count` conversations ask at once (over connections of their own, which the kernel
    hands to either worker); each gets its answer card."""
    users = [
        TeamsUser(connector.service_url, APP_ID, conversation=f"a:1{tag}-{n}") for n in range(count)
    ]

    async def ask(user: TeamsUser) -> None:
        async with aiohttp.ClientSession() as http:  # a connection of its own
            message = user.message("When is my invoice due?")
            async with http.post(served.url + "/api/messages", json=message) as response:
                assert response.status in (200, 201)

    await asyncio.gather(*(ask(user) for user in users))
    for user in users:
        (card,) = connector.sent(user.conversation)
        assert card.card is not None


async def test_two_workers_answer_on_one_port(served: Served, connector: FakeMicrosoftCloud):
    assert len(served.wait_for_workers(2)) == 2
    await ready(served.url)
    await ask_all(served, connector, "both", 12)


async def test_a_killed_worker_is_replaced_and_the_server_answers_on(
    served: Served, connector: FakeMicrosoftCloud
):
    first = served.wait_for_workers(2)
    await ready(served.url)
    os.kill(first[0], signal.SIGKILL)
    now = served.wait_for_workers(2, other_than=frozenset(first[:1]))
    assert first[1] in now
    await ready(served.url)
    await ask_all(served, connector, "after-kill", 8)
    assert served.process.poll() is None


def test_sigterm_stops_every_worker_and_exits_cleanly(served: Served):
    workers = served.wait_for_workers(2)
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(30) == 0
    assert not any(_alive(worker) for worker in workers)


def test_workers_end_when_their_supervisor_is_killed(served: Served):
    workers = served.wait_for_workers(2)
    served.process.kill()
    served.process.wait(10)
    deadline = time.monotonic() + 30
    while any(_alive(worker) for worker in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(worker) for worker in workers)


def test_workers_that_cannot_start_stop_the_server_with_their_error(tmp_path: Path):
    serving = start_serve(tmp_path, EMBEDDING_MODEL=str(tmp_path / "no-such-model"))
    try:
        # A worker dies before it listens however long its start took (on a loaded machine,
        # longer than any fixed "quick death" would allow): three of them, then it stops.
        assert serving.process.wait(240) == 1
    finally:
        serving.stop()
    said = "".join(serving.said)
    assert "EMBEDDING_MODEL=" in said and "not a local sentence-transformers model" in said
    assert "workers keep dying as they start: stopping" in said
