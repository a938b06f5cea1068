"""Teams over real HTTP: how many customer messages a second, and how long each one takes.

Starts the real server on 127.0.0.1 with Teams mounted against the protocol tests' fake
Microsoft cloud (tokens checked with RS256 on every request, replies posted to the fake Bot
Connector, which runs in its own process), then sends customer questions from concurrent
clients. Each request returns after the typing indicator and the answer card were
delivered, so its latency is what a Teams user waits. The core runs with the real model
(the encode is most of a turn); `--hashing` swaps in the deterministic twin to see the
adapter's own cost. `core only` is the same questions straight into `Assistant.respond`
(and the reply's outbox row settled, as after an inline send).

    .venv/bin/python benchmarks/teams_server.py [--messages 400] [--clients 8] [--hashing]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "protocol"))  # the fakes the protocol tests use
sys.path.insert(0, str(ROOT))  # this checkout's code, not whichever one is installed

import aiohttp  # noqa: E402
from fakes.cloud import FakeMicrosoftCloud  # noqa: E402
from fakes.server import serving  # noqa: E402
from fakes.teams import TeamsUser  # noqa: E402

from adapters.server import build_app  # noqa: E402
from adapters.teams.auth import CloudEndpoints  # noqa: E402
from adapters.teams.mount import teams_mount  # noqa: E402
from bot.app import build_assistant  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.types import Message  # noqa: E402

APP_ID = "0f6c2a3e-6d3b-4c8e-9a55-2b1e7c4d9f10"
QUESTIONS = (
    "When is my invoice due?",
    "What is your cancellation policy?",
    "What are your support hours?",
    "How do I pay my invoice?",
)


def _connector(cloud: FakeMicrosoftCloud, stop, delivered) -> None:  # type: ignore[no-untyped-def]
    """The fake cloud's HTTP side, in a child process (its socket was bound by the parent)."""
    cloud.start()
    stop.wait()
    delivered.put(len(cloud.sent(type="message")))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(label: str, latencies: list[float], elapsed: float) -> None:
    ms = [v * 1000 for v in latencies]
    print(
        f"{label:<28} {len(ms) / elapsed:8.1f} msg/s   p50 {statistics.median(ms):6.1f} ms   "
        f"p95 {percentile(ms, 0.95):6.1f} ms   p99 {percentile(ms, 0.99):6.1f} ms"
    )


async def over_http(assistant, settings, cloud, messages: int, clients: int) -> None:
    app = build_app(settings, assistant, mounts=[teams_mount(CloudEndpoints(**cloud.endpoints()))])
    latencies: list[float] = []
    async with serving(app) as url, aiohttp.ClientSession() as http:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(messages):
            queue.put_nowait(n)

        async def client(number: int) -> None:
            user = TeamsUser(cloud.service_url, APP_ID, conversation=f"a:1bench-{number}")
            while not queue.empty():
                n = queue.get_nowait()
                headers = {"Authorization": cloud.authorization()}
                started = time.perf_counter()
                activity = user.message(QUESTIONS[n % len(QUESTIONS)])
                async with http.post(url + "/api/messages", json=activity, headers=headers) as r:
                    assert r.status == 201, r.status
                latencies.append(time.perf_counter() - started)

        # One message first: the signing keys are fetched and cached before the clock starts.
        warm = TeamsUser(cloud.service_url, APP_ID, conversation="a:1warm-up")
        async with http.post(
            url + "/api/messages",
            json=warm.message("hello"),
            headers={"Authorization": cloud.authorization()},
        ) as r:
            assert r.status == 201
        started = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(clients)))
        elapsed = time.perf_counter() - started
    report(f"HTTP, {clients} clients", latencies, elapsed)


def core_only(assistant, messages: int) -> None:
    latencies = []
    started = time.perf_counter()
    for n in range(messages):
        message = Message(
            QUESTIONS[n % len(QUESTIONS)],
            channel="teams",
            conversation="a:1core",
            tenant_id="4acb5c8a-11e8-482a-bb39-334f65bb0370",
            event_id=f"core-{n}",
        )
        t = time.perf_counter()
        handled = assistant.respond(message)  # the turn's commit, then settling its reply
        assistant.storage.outbox.delivered(handled.delivery, None, now=assistant.storage.db.now())
        latencies.append(time.perf_counter() - t)
    report("core only, 1 thread", latencies, time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--hashing", action="store_true", help="the hashing twin, not the model")
    args = parser.parse_args()

    fork = multiprocessing.get_context("fork")
    cloud = FakeMicrosoftCloud(APP_ID)  # keys minted and socket bound here; the child serves
    stop, delivered = fork.Event(), fork.Queue()
    connector = fork.Process(target=_connector, args=(cloud, stop, delivered), daemon=True)
    connector.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            knowledge_dir=ROOT / "knowledge",
            data_dir=Path(tmp),
            teams_app_id=APP_ID,
            teams_app_password="unused",
            teams_app_tenant_id="5d1c9e44-8b0a-4f3e-a2c1-7e6f5a4b3c2d",
        )
        embedder = None
        if args.hashing:
            from bot.retrieval.embedder import HashingEmbedder

            embedder = HashingEmbedder()
        # As `serve` builds it: concurrent turns' questions encoded together.
        assistant = build_assistant(settings, embedder=embedder, batch_queries=True)
        print(
            f"{args.messages} customer questions, embedder: "
            f"{'hashing' if args.hashing else 'model'}"
        )
        core_only(assistant, args.messages)
        asyncio.run(over_http(assistant, settings, cloud, args.messages, args.clients))
        assistant.tickets.close()
    stop.set()
    print(f"{'':28} {delivered.get(timeout=30)} answer cards delivered to the fake Bot Connector")
    connector.join(10)


if __name__ == "__main__":
    main()
