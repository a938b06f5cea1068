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
(HTTP 200) in its conversation: none is a lost answer, two or more a duplicate. The bot
sends each outbox row's key with it (`channelData.deliveryKey`) and the fake connector
drops a key it already took, as an idempotent receiver would: such resends (a kill after
the connector took a message and before it was marked delivered) are counted on a line of
their own, "resent under a key already taken"; the real Bot Connector has no such key and
would show them twice. "Restart to
delivery" is, for each answer delivered after a kill that happened while its question was
in flight, the time from the moment the restarted server was healthy again to the delivery.
Agents too: a fake Slack Web API runs in a process of its own (SLACK_API_URL points the
server at it); every fourth question asks for a person, the dispatcher posts the ticket
there, and the agent answers each ticket once in its thread (a signed event, redelivered
with the same event id until the server takes it); the reply, marked `agent-reply-N`, must
reach the customer in Teams once.

Long-outage mode (`--outage 1800`): after the last kill the fake connector answers every
send with `--outage-status` (500) for that many seconds, while customers keep asking for the
first `--ask-during-outage` seconds of it (redelivering with a growing pause, up to 30 s, as
the Bot Framework does); then it is back. Every answer must still arrive once: the outbox
retries with a capped backoff (5 minutes), so the worst "back to delivery" is at most that.

Targets: 0 lost, 0 duplicated, restart to delivery <= 10 s. The run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import random
import re
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
sys.path.insert(0, str(ROOT / "tests" / "protocol" / "slack"))  # and the fake Slack

PYTHON = sys.executable
AGENT_MARKER = re.compile(r"agent-reply-[0-9]+")
SIGNING_SECRET = "chaos-signing-secret"
ESCALATIONS = "CCHAOS001"
QUESTIONS = (
    "When is my invoice due?",
    "What is your cancellation policy?",
    "What are your support hours?",
    "talk to a person",  # a ticket: the agent answers it from Slack
)
START_TIMEOUT = 120.0  # seconds a (re)started server gets to answer /healthz
POST_TIMEOUT = 20.0
ALIVE = (1.0, 3.0)  # seconds the server serves between being healthy and the next kill
MAX_REDELIVERY_PAUSE = 30.0  # seconds between a customer's redeliveries, at most
MAX_DELAY = 300.0  # the dispatcher's backoff cap (`Dispatcher.max_delay`)


# -- the fake Bot Connector, in its own process ---------------------------------------------
def run_connector(log_path: Path, fail_rate: float, seed: int, outage_status: int) -> None:
    """Serve the fake connector; print its service URL; log each call until stdin closes.
    A file `outage` appearing beside the log (holding seconds) takes it down that long."""
    from fakes.cloud import FakeMicrosoftCloud

    outage_file = log_path.parent / "outage"

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
            if outage_file.exists():
                cloud.outage(float(outage_file.read_text()), outage_status)
                outage_file.unlink()
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
                    "markers": AGENT_MARKER.findall(json.dumps(call.body)),
                    "key": call.delivery_key,
                    "replay": call.replay,
                }
                log.write(json.dumps(record) + "\n")
            log.flush()
            seen = len(calls)
            if stdin_closed.is_set():
                return
            time.sleep(0.05)


# -- the fake Slack Web API, in its own process ----------------------------------------------
def run_slack(log_path: Path) -> None:
    """Serve the fake Slack; print its URL; log each message post (with its ts) until stdin
    closes."""
    from fake_slack import FakeSlack

    async def serve() -> None:
        stdin_closed = threading.Event()
        threading.Thread(target=lambda: (sys.stdin.read(), stdin_closed.set()), daemon=True).start()
        async with FakeSlack().running() as slack:
            print(slack.url, flush=True)
            seen = 0
            with log_path.open("a") as log:
                while not stdin_closed.is_set():
                    for ts, post in slack.posts[seen:]:
                        record = {
                            "at": time.time(),
                            "ts": ts,
                            **{k: str(v) for k, v in post.items()},
                        }
                        log.write(json.dumps(record) + "\n")
                    seen = len(slack.posts)
                    log.flush()
                    await asyncio.sleep(0.05)

    asyncio.run(serve())


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
    slack_api: str
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
            "SLACK_BOT_TOKEN": "xoxb-chaos",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_ESCALATION_CHANNEL": ESCALATIONS,
            "SLACK_API_URL": self.slack_api,
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


async def customer(  # noqa: PLR0913 (one simulated customer's whole setting)
    number: int, server: Server, service_url: str, http: Any, questions: list[Question],
    stop: asyncio.Event, give_up: float, dice: random.Random, patient: bool = False,
) -> None:  # fmt: skip
    from fakes.teams import CONTOSO_TENANT, TeamsUser

    sequence = 0
    while not stop.is_set() and time.time() < give_up:  # past it, nothing would be sent
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
        pause = 0.3
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
            await asyncio.sleep(pause)
            if patient:  # a long outage: back off as the Bot Framework does
                pause = min(pause * 2, MAX_REDELIVERY_PAUSE)
        await asyncio.sleep(dice.uniform(0.05, 0.3))


# -- the agent --------------------------------------------------------------------------
@dataclass
class AgentReply:
    marker: str
    ticket: str
    first_sent: float
    accepted: float | None = None
    posts: int = 0


async def agent(
    server: Server, slack_log: Path, http: Any, replies: list[AgentReply], stop: asyncio.Event,
    give_up: float,
) -> None:  # fmt: skip
    """Answer each ticket posted in the escalations channel once, in its thread, as Slack
    delivers an agent's reply: a signed event, redelivered (same event id) until taken."""
    answered: set[str] = set()
    while not stop.is_set() and time.time() < give_up:
        for post in read_calls(slack_log):
            number = post.get("text", "").split(" ", 1)[0]
            if post.get("channel") != ESCALATIONS or "thread_ts" in post or number in answered:
                continue
            answered.add(number)
            reply = AgentReply(f"agent-reply-{len(replies) + 1}", number, time.time())
            replies.append(reply)
            body = json.dumps(
                {
                    "type": "event_callback",
                    "team_id": "T0001",
                    "api_app_id": "A0001",
                    "event_id": f"EvChaos{len(replies):06d}",
                    "event_time": int(time.time()),
                    "event": {
                        "type": "message", "channel": ESCALATIONS, "user": "UAGENT01",
                        "text": f"Sorted: {reply.marker}", "ts": f"1800000000.{len(replies):06d}",
                        "thread_ts": post["ts"],
                    },
                }
            ).encode()  # fmt: skip
            while time.time() < give_up:
                stamp = str(int(time.time()))
                base = b"v0:" + stamp.encode() + b":" + body
                headers = {
                    "Content-Type": "application/json",
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": "v0="
                    + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest(),
                }
                if reply.posts:
                    headers["X-Slack-Retry-Num"] = str(reply.posts)
                reply.posts += 1
                with contextlib.suppress(Exception):
                    async with http.post(
                        server.url + "/slack/events", data=body, headers=headers,
                        timeout=POST_TIMEOUT,
                    ) as response:  # fmt: skip
                        if response.status < 300:
                            reply.accepted = time.time()
                            break
                        if 400 <= response.status < 500:
                            break
                await asyncio.sleep(0.3)
        await asyncio.sleep(0.3)


# -- the run --------------------------------------------------------------------------------
def read_calls(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def answers_by_question(calls: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Question id -> when each answer card reached its conversation (agents' relays aside)."""
    delivered: dict[str, list[float]] = {}
    for call in calls:
        answer = call["type"] == "message" and call["status"] == 200 and call["card"]
        if answer and not call["markers"] and not call.get("replay"):
            question = call["conversation"].removeprefix("a:")
            delivered.setdefault(question, []).append(call["at"])
    return delivered


def relays_by_marker(calls: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Agent reply marker -> when each relay of it reached the customer."""
    relayed: dict[str, list[float]] = {}
    for call in calls:
        if call["type"] == "message" and call["status"] == 200 and not call.get("replay"):
            for marker in set(call["markers"]):
                relayed.setdefault(marker, []).append(call["at"])
    return relayed


def fake_process(*command: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start one of this script's fakes; the address it prints on its first line."""
    process = subprocess.Popen(
        [PYTHON, __file__, *command], stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=ROOT
    )
    assert process.stdout is not None
    address = process.stdout.readline().decode().strip()
    if not address:
        raise RuntimeError(f"the fake {command[0]} did not start")
    return process, address


def stop_fake(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        process.stdin.close()  # the fake's cue to flush its log and exit
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def chaos(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    import aiohttp

    calls_path, slack_path = work / "connector-calls.jsonl", work / "slack-posts.jsonl"
    fakes: list[subprocess.Popen[bytes]] = []
    questions: list[Question] = []
    replies: list[AgentReply] = []
    startup: list[float] = []
    outage: list[float] = []  # when the connector went down and came back
    dice = random.Random(args.seed)
    server: Server | None = None
    try:
        connector, service_url = fake_process(
            "connector", "--log", str(calls_path), "--fail-rate", str(args.fail_rate),
            "--seed", str(args.seed), "--outage-status", str(args.outage_status),
        )  # fmt: skip
        fakes.append(connector)
        slack, slack_url = fake_process("slack", "--log", str(slack_path))
        fakes.append(slack)
        server = Server(free_port(), work / "data", work / "serve.log", slack_url + "/api/")
        server.data_dir.mkdir()
        async with aiohttp.ClientSession() as http:
            server.start()
            startup.append(await server.wait_healthy(http))
            stop = asyncio.Event()
            give_up = time.time() + args.max_seconds
            senders = [
                asyncio.create_task(
                    customer(
                        n,
                        server,
                        service_url,
                        http,
                        questions,
                        stop,
                        give_up,
                        dice,
                        patient=args.outage > 0,
                    )
                )
                for n in range(args.customers)
            ]
            senders.append(
                asyncio.create_task(agent(server, slack_path, http, replies, stop, give_up))
            )
            for kill in range(args.kills):
                await asyncio.sleep(dice.uniform(*ALIVE))
                server.kill()
                server.start()
                startup.append(await server.wait_healthy(http))
                print(f"\rkills {kill + 1}/{args.kills}", end="", file=sys.stderr, flush=True)
            drain = args.drain
            if args.outage > 0:
                (work / "outage").write_text(str(args.outage))
                outage[:] = [time.time(), time.time() + args.outage]
                print(f" connector down for {args.outage:.0f} s", file=sys.stderr, flush=True)
                await asyncio.sleep(min(args.ask_during_outage, args.outage))
                drain += args.outage + MAX_DELAY + 60
            print(" draining", file=sys.stderr, flush=True)
            stop.set()
            await asyncio.gather(*senders)
            deadline = time.time() + drain
            while time.time() < deadline:
                calls = read_calls(calls_path)
                answered, relayed = answers_by_question(calls), relays_by_marker(calls)
                if all(q.id in answered for q in questions if q.accepted) and all(
                    r.marker in relayed for r in replies if r.accepted
                ):
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(1.0)  # a late duplicate has a moment to show itself
    finally:
        if server is not None:
            server.stop()
        for process in fakes:
            stop_fake(process)
    posted = Counter(
        p.get("text", "").split(" ", 1)[0]
        for p in read_calls(slack_path)
        if p.get("channel") == ESCALATIONS and "thread_ts" not in p
    )
    result = summarize(questions, replies, read_calls(calls_path), server, startup)
    if outage:
        answered = answers_by_question(read_calls(calls_path))
        late = [
            max(times[0] - outage[1], 0.0)
            for q in questions
            if q.first_sent <= outage[1] and (times := answered.get(q.id))
        ]
        result["connector outage, s"] = round(outage[1] - outage[0])
        result["  questions asked before it ended"] = sum(
            1 for q in questions if q.first_sent <= outage[1]
        )
        result["  connector back to delivery, s (worst)"] = round(max(late), 1) if late else None
    result["tickets posted to Slack (posted twice)"] = (
        len(posted),
        sum(1 for n in posted.values() if n > 1),
    )
    return result


def summarize(
    questions: list[Question],
    replies: list[AgentReply],
    calls: list[dict[str, Any]],
    server: Server,
    startup: list[float],
) -> dict[str, Any]:
    answered, relayed = answers_by_question(calls), relays_by_marker(calls)
    answers = Counter(len(answered.get(q.id, [])) for q in questions)
    relays = Counter(len(relayed.get(r.marker, [])) for r in replies)
    recovery = [
        delay
        for item, times in [(q, answered.get(q.id, [])) for q in questions]
        + [(r, relayed.get(r.marker, [])) for r in replies]
        if (delay := _after_restart(item.first_sent, times, server)) is not None
    ]
    sends = [c for c in calls if c["type"] == "message"]
    return {
        "kills": len(server.kills),
        "customer questions sent": len(questions),
        "  taken by the bot (2xx, after redeliveries)": sum(1 for q in questions if q.accepted),
        "  answered": sum(1 for q in questions if q.id in answered),
        "  lost": answers[0],
        "  duplicated": sum(n for k, n in answers.items() if k > 1),
        "agent thread replies sent": len(replies),
        "  taken by the bot (2xx)": sum(1 for r in replies if r.accepted),
        "  relayed to the customer": sum(1 for r in replies if r.marker in relayed),
        "  lost ": relays[0],
        "  duplicated ": sum(n for k, n in relays.items() if k > 1),
        "connector sends failed (500/429)": sum(1 for c in sends if c["status"] != 200),
        "resent under a key already taken (dropped)": sum(1 for c in sends if c.get("replay")),
        "'sorry' messages delivered": sum(
            1 for c in sends if c["status"] == 200 and not c["card"] and "Sorry" in c["text"]
        ),
        "deliveries after a kill in flight": len(recovery),
        "worst restart (healthy) to delivery, s": round(max(recovery), 2) if recovery else None,
        "server start-up to healthy, s (median, worst)": (
            round(sorted(startup)[len(startup) // 2], 2),
            round(max(startup), 2),
        ),
    }


def _after_restart(first_sent: float, delivered: list[float], server: Server) -> float | None:
    """Seconds from the server's return to health after the last kill to the first delivery,
    when a kill happened between the message being sent and its delivery; else None."""
    if not delivered:
        return None
    at = delivered[0]
    crashed = [k for k in server.kills if first_sent <= k <= at]
    if not crashed:
        return None
    # The restart that followed the last kill; it may deliver a moment before this script
    # sees its /healthz answer, which counts as no wait at all.
    back = min((h for h in server.healthy if h >= crashed[-1]), default=at)
    return max(0.0, at - back)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    fake = sub.add_parser("connector", help="(internal) run the fake Bot Connector")
    fake.add_argument("--log", type=Path, required=True)
    fake.add_argument("--fail-rate", type=float, default=0.2)
    fake.add_argument("--seed", type=int, default=7)
    fake.add_argument("--outage-status", type=int, default=500)
    sub.add_parser("slack", help="(internal) run the fake Slack").add_argument(
        "--log", type=Path, required=True
    )
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--customers", type=int, default=4)
    parser.add_argument("--fail-rate", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--drain", type=float, default=20.0, help="seconds to wait for answers")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=1800.0,
        help="customers and the agent stop sending (and redelivering) after",
    )
    parser.add_argument(
        "--outage",
        type=float,
        default=0.0,
        help="after the kills, the connector is down this many seconds (e.g. 1800), then back",
    )
    parser.add_argument("--outage-status", type=int, default=500, help="what it answers then")
    parser.add_argument(
        "--ask-during-outage",
        type=float,
        default=30.0,
        help="seconds customers keep asking into the outage",
    )
    parser.add_argument(
        "--keep", type=Path, help="run in this (new) folder and keep its logs and database"
    )
    args = parser.parse_args()
    if args.command == "connector":
        run_connector(args.log, args.fail_rate, args.seed, args.outage_status)
        return
    if args.command == "slack":
        run_slack(args.log)
        return
    with contextlib.ExitStack() as stack:
        if args.keep is not None:
            args.keep.mkdir(parents=True)
            work = args.keep
        else:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="billing-chaos-")))
        started = time.monotonic()
        result = asyncio.run(chaos(args, work))
        for name, value in result.items():
            print(f"{name:<48} {value}")
        print(f"{'run time, s':<48} {time.monotonic() - started:.0f}")
        print("targets: lost 0, duplicated 0, restart to delivery <= 10 s", end="")
        print(f", connector back to delivery <= {MAX_DELAY:.0f} s" if args.outage else "")


if __name__ == "__main__":
    main()
