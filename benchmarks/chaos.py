"""Chaos: SIGKILL a real `billing-bot serve` at random while customers talk to it.

    .venv/bin/python benchmarks/chaos.py [--kills 20] [--customers 4] [--fail-rate 0.2]

Everything runs on 127.0.0.1, in three kinds of process:
- the protocol tests' fake Bot Connector (`tests/protocol/fakes/cloud.py`) in a process of
  its own (this script, `connector` sub-command), answering `--fail-rate` of the bot's sends
  with 500 or 429 at random and writing every call it answered, with the time, to a file;
- `python -m adapters.cli serve` on a fresh SQLite DATA_DIR, the sample knowledge folder,
  Teams in local mode (no app id, as the Bot Framework Emulator) and EMBEDDING_MODEL=hashing
  (a restart costs seconds, not the model's load);
- this script: the customers and the killer. Each customer sends questions one after the
  other; every question is a Teams message with a unique activity id in a conversation of
  its own, so each answer the connector receives belongs to exactly one question. A POST
  that fails (connection refused, a 5xx, a timeout) is redelivered with the same id, as the
  Bot Framework does. The killer waits until the server answers /healthz, lets it serve for
  1-3 s, kills it with SIGKILL and starts it again, `--kills` times.

After the last kill the server runs until every question has its answer or `--drain`
seconds pass. A question's answers are the Adaptive Card messages the connector accepted
(HTTP 200) in its conversation: none is a lost answer, two or more a duplicate. "Restart to
delivery" is, for each answer delivered after a kill that happened while its question was
in flight, the time from the moment the restarted server was healthy again to the delivery.
Only customers: agents (Slack thread replies) need a fake Slack the served process can be
pointed at, which `serve` has no setting for.

Targets: 0 lost, 0 duplicated, restart to delivery <= 10 s. The run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "protocol"))  # the fakes the protocol tests use

PYTHON = sys.executable
QUESTIONS = (
    "When is my invoice due?",
    "What is your cancellation policy?",
    "What are your support hours?",
    "How do I pay my invoice?",
)
START_TIMEOUT = 120.0  # seconds a (re)started server gets to answer /healthz
POST_TIMEOUT = 20.0
ALIVE = (1.0, 3.0)  # seconds the server serves between being healthy and the next kill


# -- the fake Bot Connector, in its own process ---------------------------------------------
def run_connector(log_path: Path, fail_rate: float, seed: int) -> None:
    """Serve the fake connector; print its service URL; log each call until stdin closes."""
    from fakes.cloud import FakeMicrosoftCloud

    with FakeMicrosoftCloud("chaos-bot") as cloud, log_path.open("a") as log:
        cloud.accept_anonymous = True  # local mode: the bot sends no token
        cloud.fail_rate = fail_rate
        cloud.dice.seed(seed)
        print(cloud.service_url, flush=True)
        seen = 0
        stdin_closed = threading.Event()

        def watch_stdin() -> None:
            sys.stdin.read()
            stdin_closed.set()

        threading.Thread(target=watch_stdin, daemon=True).start()
        while True:
            calls = cloud.calls()
            for call in calls[seen:]:
                record = {
                    "at": time.time(),
                    "conversation": call.conversation,
                    "reply_to": call.reply_to or call.body.get("replyToId"),
                    "status": call.status,
                    "type": call.type,
                    "card": call.card is not None,
                    "text": str(call.body.get("text") or "")[:80],
                }
                log.write(json.dumps(record) + "\n")
            log.flush()
            seen = len(calls)
            if stdin_closed.is_set():
                return
            time.sleep(0.05)


# -- the served bot -------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    port: int
    data_dir: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)  # when each process was spawned
    healthy: list[float] = field(default_factory=list)  # when each first answered /healthz
    kills: list[float] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("TEAMS_", "SLACK_"))},
            "PYTHONPATH": str(ROOT),
            "DATA_DIR": str(self.data_dir),
            "DATABASE_URL": "",
            "KNOWLEDGE_DIR": str(ROOT / "knowledge"),
            "EMBEDDING_MODEL": "hashing",
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    PYTHON,
                    "-m",
                    "adapters.cli",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--log-level",
                    "warning",
                ],
                cwd=self.data_dir,  # no stray .env from the caller's directory
                env=env,
                stdout=log,
                stderr=log,
            )
        self.starts.append(time.time())

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.kills.append(time.time())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    async def wait_healthy(self, http: Any) -> float:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited ({self.process.returncode}); see {self.log_path}"
                )
            with contextlib.suppress(Exception):
                async with http.get(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        now = time.time()
                        self.healthy.append(now)
                        return now - self.starts[-1]
            await asyncio.sleep(0.1)
        raise RuntimeError(f"the server did not become healthy in {START_TIMEOUT:.0f}s")


# -- customers ------------------------------------------------------------------------------
@dataclass
class Question:
    id: str
    conversation: str
    first_sent: float
    accepted: float | None = None
    posts: int = 0


async def customer(
    number: int, server: Server, service_url: str, http: Any, questions: list[Question],
    stop: asyncio.Event, give_up: float, dice: random.Random,
) -> None:  # fmt: skip
    from fakes.teams import CONTOSO_TENANT, TeamsUser

    sequence = 0
    while not stop.is_set():
        sequence += 1
        qid = f"chaos-{number}-{sequence}"
        user = TeamsUser(
            service_url=service_url, app_id="chaos-bot", tenant=CONTOSO_TENANT,
            conversation=f"a:{qid}", user_id=f"29:chaos-customer-{number}",
        )  # fmt: skip
        activity = user.message(QUESTIONS[sequence % len(QUESTIONS)])
        activity["id"] = qid
        question = Question(qid, activity["conversation"]["id"], time.time())
        questions.append(question)
        while time.time() < give_up:  # redeliver until the bot takes it
            question.posts += 1
            with contextlib.suppress(Exception):
                async with http.post(
                    server.url + "/api/messages", json=activity, timeout=POST_TIMEOUT
                ) as response:
                    if response.status < 300:
                        question.accepted = time.time()
                        break
                    if 400 <= response.status < 500:
                        break  # refused for good: the platform would not retry either
            await asyncio.sleep(0.3)
        await asyncio.sleep(dice.uniform(0.05, 0.3))


# -- the run --------------------------------------------------------------------------------
def read_calls(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def answers_by_question(calls: list[dict[str, Any]]) -> dict[str, list[float]]:
    delivered: dict[str, list[float]] = {}
    for call in calls:
        if call["type"] == "message" and call["status"] == 200 and call["card"]:
            delivered.setdefault(call["conversation"].removeprefix("a:"), []).append(call["at"])
    return delivered


async def chaos(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import aiohttp

    calls_path = work / "connector-calls.jsonl"
    connector = subprocess.Popen(
        [
            PYTHON,
            __file__,
            "connector",
            "--log",
            str(calls_path),
            "--fail-rate",
            str(args.fail_rate),
            "--seed",
            str(args.seed),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    server = Server(free_port(), work / "data", work / "serve.log")
    server.data_dir.mkdir()
    dice = random.Random(args.seed)
    questions: list[Question] = []
    startup: list[float] = []
    try:
        assert connector.stdout is not None
        service_url = connector.stdout.readline().decode().strip()
        if not service_url:
            raise RuntimeError("the fake connector did not start")
        async with aiohttp.ClientSession() as http:
            server.start()
            startup.append(await server.wait_healthy(http))
            stop = asyncio.Event()
            give_up = time.time() + args.max_seconds
            customers = [
                asyncio.create_task(
                    customer(n, server, service_url, http, questions, stop, give_up, dice)
                )
                for n in range(args.customers)
            ]
            for kill in range(args.kills):
                await asyncio.sleep(dice.uniform(*ALIVE))
                server.kill()
                server.start()
                startup.append(await server.wait_healthy(http))
                print(f"\rkills {kill + 1}/{args.kills}", end="", file=sys.stderr, flush=True)
            print(" draining", file=sys.stderr, flush=True)
            stop.set()
            await asyncio.gather(*customers)
            deadline = time.time() + args.drain
            while time.time() < deadline:
                delivered = answers_by_question(read_calls(calls_path))
                if all(q.id in delivered for q in questions if q.accepted):
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)  # a late duplicate has a moment to show itself
    finally:
        server.stop()
        if connector.stdin is not None:
            connector.stdin.close()
        try:
            connector.wait(10)
        except subprocess.TimeoutExpired:
            connector.kill()
    return summarize(questions, read_calls(calls_path), server, startup)


def summarize(
    questions: list[Question], calls: list[dict[str, Any]], server: Server, startup: list[float]
) -> dict[str, Any]:
    delivered = answers_by_question(calls)
    counts = Counter(len(delivered.get(q.id, [])) for q in questions)
    recovery: list[float] = []
    for q in questions:
        for at in delivered.get(q.id, [])[:1]:
            crashed = [k for k in server.kills if q.first_sent <= k <= at]
            if crashed:
                back = max(h for h in server.healthy if h >= crashed[-1] and h <= at)
                recovery.append(at - back)
    sends = [c for c in calls if c["type"] == "message"]
    return {
        "kills": len(server.kills),
        "questions sent": len(questions),
        "questions the bot took (2xx)": sum(1 for q in questions if q.accepted),
        "POSTs (with redeliveries)": sum(q.posts for q in questions),
        "answers delivered": sum(1 for q in questions if q.id in delivered),
        "lost": counts[0],
        "duplicated": sum(n for k, n in counts.items() if k > 1),
        "connector sends failed (500/429)": sum(1 for c in sends if c["status"] != 200),
        "'sorry' messages delivered": sum(
            1 for c in sends if c["status"] == 200 and not c["card"] and "Sorry" in c["text"]
        ),
        "answers delivered after a kill": len(recovery),
        "worst restart (healthy) to delivery, s": round(max(recovery), 2) if recovery else None,
        "server start-up to healthy, s (median, worst)": (
            round(sorted(startup)[len(startup) // 2], 2),
            round(max(startup), 2),
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    fake = sub.add_parser("connector", help="(internal) run the fake Bot Connector")
    fake.add_argument("--log", type=Path, required=True)
    fake.add_argument("--fail-rate", type=float, default=0.2)
    fake.add_argument("--seed", type=int, default=7)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--customers", type=int, default=4)
    parser.add_argument("--fail-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for answers")
    parser.add_argument(
        "--max-seconds", type=float, default=600.0, help="customers give up redelivering after"
    )
    args = parser.parse_args()
    if args.command == "connector":
        run_connector(args.log, args.fail_rate, args.seed)
        return
    with tempfile.TemporaryDirectory(prefix="billing-bot-chaos-") as tmp:
        started = time.monotonic()
        result = asyncio.run(chaos(args, Path(tmp)))
        for name, value in result.items():
            print(f"{name:<48} {value}")
        print(f"{'run time, s':<48} {time.monotonic() - started:.0f}")
        print("targets: lost 0, duplicated 0, restart to delivery <= 10 s")


if __name__ == "__main__":
    main()
