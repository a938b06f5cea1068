"""Real processes: a writer killed with SIGKILL loses nothing, and two dispatcher processes
on one PostgreSQL database deliver every message exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ticket_db import empty_postgres
from ticket_twins import FileChannel, read_lines

from bot.delivery.dispatcher import Dispatcher
from bot.tickets.store import TicketStore

HELPER = Path(__file__).with_name("ticket_process.py")
ROOT = Path(__file__).resolve().parents[3]


def start(*args: str) -> subprocess.Popen[str]:
    # This checkout's code, not whichever one the virtualenv has installed.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, str(HELPER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=10) == -signal.SIGKILL


def expect_line(process: subprocess.Popen[str], prefix: str) -> str:
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line.startswith(prefix), f"helper said {line!r}, expected {prefix!r}"
    return line.split(" ", 1)[-1]


async def deliver_all(dispatcher: Dispatcher) -> None:
    while await dispatcher.run_once():
        pass


async def test_a_ticket_committed_by_a_killed_process_is_delivered_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    writer = start("open", database_url)
    number = expect_line(writer, "opened")
    kill(writer)

    sent = tmp_path / "slack.jsonl"
    with TicketStore.from_url(database_url) as store:
        assert store.get(number).status == "open"
        dispatcher = Dispatcher(store.outbox, {"slack": FileChannel("slack", sent)})
        await deliver_all(dispatcher)
        await deliver_all(Dispatcher(store.outbox, {"slack": FileChannel("slack", sent)}))

        assert [(line["key"], line["event"]) for line in read_lines(sent)] == [
            (f"{number}:1", "ticket_opened")
        ]
        assert store.get(number).thread == f"ts-{number}:1"


async def test_a_process_killed_mid_send_loses_its_claim_and_the_message_goes_once(
    database_url: str, tmp_path: Path
) -> None:
    sender = start("open-and-send", database_url)  # the server's own lease and heartbeat
    number = expect_line(sender, "opened")
    assert expect_line(sender, "sending") == f"{number}:1"
    kill(sender)
    killed = datetime.now(UTC)
    lease = Dispatcher(TicketStore.from_url(database_url).outbox, {}).lease.total_seconds()
    assert lease + 1.0 <= 10  # reclaimed and re-sent within 10 s of the crash (1 s: a poll)

    sent = tmp_path / "slack.jsonl"
    with TicketStore.from_url(database_url) as store:
        channels = {"slack": FileChannel("slack", sent)}

        def at(seconds: float) -> Callable[[], datetime]:
            return lambda: killed + timedelta(seconds=seconds)

        await deliver_all(Dispatcher(store.outbox, channels, clock=at(lease - 1)))
        assert read_lines(sent) == []  # the dead process still holds the lease

        await deliver_all(Dispatcher(store.outbox, channels, clock=at(lease + 0.5)))
        await deliver_all(Dispatcher(store.outbox, channels, clock=at(lease + 0.5)))

        assert [line["key"] for line in read_lines(sent)] == [f"{number}:1"]
        [post] = [e for e in store.outbox.entries() if e.event == "ticket_opened"]
        assert (post.status, post.attempts) == ("delivered", 2)


@pytest.mark.postgres
def test_two_dispatcher_processes_deliver_each_message_exactly_once(
    postgres_url: str, tmp_path: Path
) -> None:
    empty_postgres(postgres_url)
    with TicketStore.from_url(postgres_url) as store:
        for i in range(25):
            with store.database.write() as session:
                number = store.open_in(
                    session,
                    customer_id=f"customer-{i}",
                    category="refund",
                    route="partner",
                    question="Can I get a refund?",
                    transcript=[],
                    evidence=[],
                    channel="teams",
                    conversation=f"conv-{i}",
                ).number
            with store.database.write() as session:
                store.add_agent_reply_in(session, number, "ana", f"answer {i}")
        expected = {e.key for e in store.outbox.entries()}

    sent = tmp_path / "sent.jsonl"
    dispatchers = [start("dispatch", postgres_url, str(sent)) for _ in range(2)]
    for process in dispatchers:
        expect_line(process, "ready")
    for process in dispatchers:  # both start together
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in dispatchers:
        assert process.wait(timeout=60) == 0

    lines = read_lines(sent)
    counts = Counter(line["key"] for line in lines)
    assert set(counts) == expected  # 25 posts, 25 replies, 25 post refreshes
    assert [key for key, n in counts.items() if n > 1] == []
    by_process = Counter(line["pid"] for line in lines)
    assert len(by_process) == 2, f"one process did everything: {by_process}"
