"""`billing-bot serve` over real HTTP with the real model: throughput at 1..64 conversations.

    .venv/bin/python benchmarks/serve_throughput.py [--levels 1,8,32,64] [--rounds 3]
        [--workers 1,2] [--burst 32x3] [--gap 0.05]

Runs three processes: this client; the real server (`python -m adapters.cli serve`, Teams
local mode, SQLite in a temporary DATA_DIR, the sample folder), once per `--workers` value
(default: 1, then one per core); and the protocol tests' fake
Bot Connector, forked into its own process so its HTTP handling does not share this
client's interpreter. Each request returns once the typing indicator and the answer card
were posted to the connector, so its latency is what a Teams user waits.

Printed, all measured in this run (the machine is shared: read the ratios, not the
absolute figures):
- the encode floor: one question per call vs 32 in one call, with the same model and torch
  threads as the server (EMBED_THREADS, passed on to it), here;
- the server's time to /healthz and to /readyz, from start, with a warm embedding cache;
- per level: messages/s, p50/p95 latency, the ratio to single-stream throughput (target
  >= 6x at 32 concurrent) and /healthz p99 while it runs (target <= 100 ms);
- per level, where the machine's CPU went: the server's CPU per message (all its workers;
  with one worker, split into its encoding thread and the rest), and the share of
  all cores the server, the fake connector and this client used. All three share the
  machine, so on a small one the server only gets what the other two leave; the last line
  says what the server's own CPU per message would allow with every core to itself;
- bursts (`--burst CxM`): C customers each send M messages back to back, a message every
  `--gap` seconds without waiting for the previous answer (as a person typing "hi" and then
  the question does), once with each customer's messages in one conversation and once with
  every message in a conversation of its own: the same requests at the same moments, only
  the conversation ids differ. Their p50/p95 are printed side by side, with the ratio of the
  one-conversation p95 to the new-conversation p95 measured in the same run (1.0x: a message
  never waits for its conversation's previous one), and the share of the cores the machine
  and the server were busy meanwhile (a saturated machine makes every p95 noisy; on 2
  cores a burst of 96 keeps them near 95% busy). Each gap's two shapes take turns going
  first, so give an even `--rounds`; `--levels ""` runs the bursts alone.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "protocol"))  # the fakes the protocol tests use
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from fakes.cloud import FakeMicrosoftCloud  # noqa: E402
from fakes.teams import TeamsUser  # noqa: E402

APP_ID = "0f6c2a3e-6d3b-4c8e-9a55-2b1e7c4d9f10"  # the recipient id in activities only
QUESTIONS = (
    "When is my invoice due?",
    "What is your cancellation policy?",
    "What are your support hours?",
    "How do I pay my invoice?",
    "Do you charge VAT?",
    "How do I request a refund?",
    "What payment methods do you accept?",
    "How much do we owe?",
)


CORES = len(os.sched_getaffinity(0))
_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU of a process (all its threads) and of its living children (a
    server's workers); this process's own when `pid` is None."""
    if pid is None:
        return time.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
    return own + sum(cpu_seconds(child) for child in _children(pid))


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# -- the fake Bot Connector, in its own process ------------------------------------------------
def _connector(cloud: FakeMicrosoftCloud, stop, delivered) -> None:  # type: ignore[no-untyped-def]
    cloud.accept_anonymous = True  # local mode sends no token
    cloud.start()
    stop.wait()
    delivered.put(len(cloud.sent(type="message")))


# -- the encode floor ----------------------------------------------------------------------------
def encode_floor() -> tuple[float, float]:
    """Questions/s encoding one per call, and 32 per call, with the server's model; and a
    lone question's latency through the server's `BatchingEmbedder` next to a direct call
    (what batching costs single-stream), alternated so noise falls on both."""
    import torch

    from bot.retrieval.batching import BatchingEmbedder, machine_threads
    from bot.retrieval.embedder import SentenceTransformerEmbedder

    torch.set_num_threads(int(os.environ.get("EMBED_THREADS") or 0) or machine_threads())
    embedder = SentenceTransformerEmbedder()
    questions = [QUESTIONS[i % len(QUESTIONS)] + f" ({i})" for i in range(32)]
    embedder.embed(questions)  # load and warm
    started = time.perf_counter()
    for q in questions:
        embedder.embed([q])
    single = 32 / (time.perf_counter() - started)
    started = time.perf_counter()
    for _ in range(3):
        embedder.embed(questions)
    batched = 3 * 32 / (time.perf_counter() - started)

    batching = BatchingEmbedder(embedder, threads=torch.get_num_threads())
    direct: list[float] = []
    wrapped: list[float] = []
    for q in questions:
        for into, through in ((direct, embedder), (wrapped, batching)):
            started = time.perf_counter()
            through.embed([q])
            into.append(time.perf_counter() - started)
    batching.close()
    print(
        f"single-stream encode p50: direct {statistics.median(direct) * 1000:.1f} ms, through "
        f"BatchingEmbedder {statistics.median(wrapped) * 1000:.1f} ms "
        f"({statistics.median(wrapped) / statistics.median(direct):.2f}x)"
    )
    return single, batched


# -- the server ----------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def wait_for(http: aiohttp.ClientSession, url: str, started: float) -> float:
    while True:
        try:
            async with http.get(url) as r:
                if r.status == 200:
                    return time.perf_counter() - started
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.05)


class Level:
    """What one concurrency level measured, over every round it ran."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.health: list[float] = []
        self.elapsed = 0.0
        self.cpu = {"server": 0.0, "connector": 0.0, "client": 0.0}  # CPU seconds used
        self.encoder_cpu = 0.0  # of the server's: its encoding thread (/metrics)
        self.batched = 0  # questions the encoder took, and in how many calls
        self.batches = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed


async def run_level(
    http: aiohttp.ClientSession,
    url: str,
    service_url: str,
    clients: int,
    per_client: int,
    into: Level,
    pids: dict[str, int | None],
) -> None:
    done = asyncio.Event()

    async def client(number: int) -> None:
        user = TeamsUser(service_url, APP_ID, conversation=f"a:1bench-{clients}-{number}")
        for n in range(per_client):
            activity = user.message(QUESTIONS[(number + n) % len(QUESTIONS)])
            started = time.perf_counter()
            async with http.post(url + "/api/messages", json=activity) as r:
                assert r.status in (200, 201), r.status
            into.latencies.append(time.perf_counter() - started)

    async def probe() -> None:
        while not done.is_set():
            started = time.perf_counter()
            async with http.get(url + "/healthz") as r:
                assert r.status == 200
            into.health.append(time.perf_counter() - started)
            await asyncio.sleep(0.05)

    encoder = await encoder_counts(http, url)
    prober = asyncio.create_task(probe())
    cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    into.elapsed += time.perf_counter() - started
    for name, pid in pids.items():
        into.cpu[name] += cpu_seconds(pid) - cpu[name]
    after = await encoder_counts(http, url)
    into.encoder_cpu += after["encoder_cpu_seconds_total"] - encoder["encoder_cpu_seconds_total"]
    into.batched += int(after["encoder_texts_total"] - encoder["encoder_texts_total"])
    into.batches += int(after["encoder_batches_total"] - encoder["encoder_batches_total"])
    done.set()
    await prober


Gap = float | None  # seconds between one customer's messages; None: after each answer


class Burst:
    """Latencies of one burst shape, over every round it ran, by the message's place in its
    customer's burst (0: the first)."""

    def __init__(self) -> None:
        self.by_place: dict[int, list[float]] = {}
        self.busy = 0.0  # CPU seconds the whole machine used while this shape ran
        self.server = 0.0  # of which the server's
        self.elapsed = 0.0

    @property
    def latencies(self) -> list[float]:
        return [v for values in self.by_place.values() for v in values]


async def run_burst(  # noqa: PLR0913 (the burst's shape, from the command line)
    http: aiohttp.ClientSession,
    url: str,
    service_url: str,
    customers: int,
    messages: int,
    gap: Gap,
    shared: bool,
    into: Burst,
    tag: str,
    server_pid: int | None = None,
) -> None:
    """Every customer sends `messages` messages, one every `gap` seconds, none waiting for
    an answer (`gap` None: each after the previous answer); `shared`: all in the customer's
    one conversation, else one conversation each."""

    async def send(number: int, n: int) -> None:
        conversation = f"a:1burst-{tag}-{number}" + ("" if shared else f"-{n}")
        user = TeamsUser(service_url, APP_ID, conversation=conversation)
        activity = user.message(QUESTIONS[(number + n) % len(QUESTIONS)])
        started = time.perf_counter()
        async with http.post(url + "/api/messages", json=activity) as r:
            assert r.status in (200, 201), r.status
        into.by_place.setdefault(n, []).append(time.perf_counter() - started)

    async def customer(number: int) -> None:
        if gap is None:
            for n in range(messages):
                await send(number, n)
            return

        async def later(n: int) -> None:
            await asyncio.sleep(n * gap)
            await send(number, n)

        await asyncio.gather(*(later(n) for n in range(messages)))

    machine, server, started = machine_busy(), cpu_seconds(server_pid), time.perf_counter()
    await asyncio.gather(*(customer(c) for c in range(customers)))
    into.elapsed += time.perf_counter() - started
    into.busy += machine_busy() - machine
    into.server += cpu_seconds(server_pid) - server


def machine_busy() -> float:
    """CPU seconds all of the machine's cores spent busy so far (/proc/stat), whoever ran:
    this benchmark's processes or anything else sharing the machine."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / _TICK


async def encoder_counts(http: aiohttp.ClientSession, url: str) -> dict[str, float]:
    """The server's encoder counters from /metrics (loopback; the token if one is set)."""
    token = os.environ.get("METRICS_TOKEN", "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.get(url + "/metrics", headers=headers) as r:
        r.raise_for_status()
        lines = (await r.text()).splitlines()
    return {
        name: float(value)
        for name, _, value in (line.partition(" ") for line in lines)
        if name.startswith("encoder_")
    }


async def drive(  # noqa: PLR0913 (the run's shape, from the command line)
    url: str,
    service_url: str,
    levels: list[int],
    rounds: int,
    messages: int,
    started: float,
    pids: dict[str, int | None],
    burst: tuple[int, int] | None = None,
    bursts: dict[tuple[Gap, bool], Burst] | None = None,
) -> dict[int, Level]:
    timeout = aiohttp.ClientTimeout(total=600)
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        healthy = await wait_for(http, url + "/healthz", started)
        ready = await wait_for(http, url + "/readyz", started)
        print(
            f"serve, warm cache: /healthz 200 after {healthy:.1f} s, "
            f"/readyz 200 after {ready:.1f} s",
            flush=True,
        )
        await run_level(http, url, service_url, 8, 3, Level(), pids)  # warm-up
        # Levels take turns, round after round, so the machine's noise falls on all of them.
        results = {c: Level() for c in levels}
        for round_ in range(rounds):
            for c in levels:
                per_client = max(1, messages // c)
                await run_level(http, url, service_url, c, per_client, results[c], pids)
            if burst is not None and bursts is not None:
                # Each gap's two shapes take turns going first, round after round, and each
                # burst starts on an idle server: a burst that followed a 96-message one
                # ran about twice as slow, whatever its shape.
                for gap in dict.fromkeys(g for g, _ in bursts):
                    for shared in (True, False) if round_ % 2 == 0 else (False, True):
                        await settle(pids["server"])
                        tag = f"{round_}-{gap}-{'one' if shared else 'new'}"
                        into = bursts[gap, shared]
                        await run_burst(
                            http, url, service_url, *burst, gap, shared, into, tag, pids["server"]
                        )
        return results


async def settle(pid: int | None, quiet: float = 0.1, longest: float = 10.0) -> None:
    """Wait until the server uses less than `quiet` of a core over half a second (what an
    earlier burst left behind is done), or `longest` seconds."""
    deadline = time.perf_counter() + longest
    while time.perf_counter() < deadline:
        used = cpu_seconds(pid)
        await asyncio.sleep(0.5)
        if cpu_seconds(pid) - used < quiet * 0.5:
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--levels", default="1,8,32,64")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all levels")
    parser.add_argument("--messages", type=int, default=64, help="messages per level and round")
    parser.add_argument("--database-url", default="", help="default: SQLite in a temp folder")
    parser.add_argument(
        "--workers",
        default=f"1,{CORES}" if CORES > 1 else "1",
        help="serve --workers values, each measured in turn (default: 1 and one per core)",
    )
    parser.add_argument(
        "--burst",
        default="32x3",
        help="CUSTOMERSxMESSAGES sent back to back, in one conversation per customer and in "
        "a new conversation per message (empty: no bursts)",
    )
    parser.add_argument(
        "--gap",
        default="0.05",
        help="seconds between one customer's messages in a burst, or 'answer' (each after "
        "the previous answer); several, comma-separated, are measured in turn",
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.levels.split(",") if c]
    burst: tuple[int, int] | None = None
    if args.burst:
        customers, _, each = args.burst.partition("x")
        burst = (int(customers), int(each))  # CUSTOMERSxMESSAGES, e.g. 32x3
    gaps: list[Gap] = [None if g == "answer" else float(g) for g in args.gap.split(",")]

    single = batched = 0.0
    if levels:
        single, batched = encode_floor()
        print(
            f"encode floor (same model, this run): 1 per call {single:.1f} q/s, 32 per call "
            f"{batched:.1f} q/s ({batched / single:.1f}x)"
        )

    fork = multiprocessing.get_context("fork")
    cloud = FakeMicrosoftCloud(APP_ID)  # its socket is bound here; the child serves it
    stop, delivered = fork.Event(), fork.Queue()
    connector = fork.Process(target=_connector, args=(cloud, stop, delivered), daemon=True)
    connector.start()

    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "KNOWLEDGE_DIR": str(ROOT / "knowledge"),
            "DATA_DIR": tmp,
            "DATABASE_URL": args.database_url,
            "TEAMS_APP_ID": "",
            "SLACK_BOT_TOKEN": "",
        }
        command = [sys.executable, "-m", "adapters.cli"]
        subprocess.run([*command, "index"], cwd=ROOT, env=env, check=True, capture_output=True)
        measured: dict[int, dict[int, Level]] = {}
        for workers in (int(w) for w in args.workers.split(",")):
            port = free_port()
            started = time.perf_counter()
            server = subprocess.Popen(
                [
                    *command,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    str(workers),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
            )
            print(f"== serve --workers {workers}", flush=True)
            bursts = {(gap, shared): Burst() for gap in gaps for shared in (True, False)}
            try:
                results = asyncio.run(
                    drive(
                        f"http://127.0.0.1:{port}",
                        cloud.service_url,
                        levels,
                        args.rounds,
                        args.messages,
                        started,
                        {"server": server.pid, "connector": connector.pid, "client": None},
                        burst,
                        bursts,
                    )
                )
            finally:
                server.terminate()
                server.wait(30)
            if levels:
                report(results, workers, single, batched)
            if burst is not None:
                for gap in gaps:
                    report_bursts(bursts[gap, True], bursts[gap, False], burst, gap)
            measured[workers] = results
    if levels and 1 in measured and len(measured) > 1:
        one = measured[1]
        base = one[levels[0]].rate
        print(
            f"against one worker's single stream ({base:.1f} msg/s): "
            + ", ".join(
                f"--workers {w} at {c}: {r[c].rate / base:.1f}x"
                for w, r in measured.items()
                for c in levels[1:]
            )
        )
    stop.set()
    cards = delivered.get(timeout=30)
    connector.join(10)
    print(f"{cards} answer cards posted to the fake Bot Connector")


def report(results: dict[int, Level], workers: int, single: float, batched: float) -> None:
    levels = list(results)
    base = results[levels[0]].rate
    print(
        f"{'conversations':>13} {'msg/s':>7} {'x single':>8} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'/healthz p99 ms':>15}"
    )
    for c, r in results.items():
        ms = [v * 1000 for v in r.latencies]
        print(
            f"{c:>13} {r.rate:7.1f} {r.rate / base:7.1f}x {statistics.median(ms):7.0f} "
            f"{percentile(ms, 0.95):7.0f} {percentile(r.health, 0.99) * 1000:15.1f}"
        )
    split = workers == 1  # /metrics describes the worker that answers it
    print(
        f"{'conversations':>13} {'server CPU ms/msg':>17} {'encoding':>8} {'the rest':>8} "
        f"{'batch':>5}   CPU share of the {CORES} cores: server / connector / client"
    )
    for c, r in results.items():
        share = {name: used / (r.elapsed * CORES) for name, used in r.cpu.items()}
        n = len(r.latencies)
        parts = (
            f"{r.encoder_cpu * 1000 / n:8.1f} {(r.cpu['server'] - r.encoder_cpu) * 1000 / n:8.1f} "
            f"{r.batched / max(1, r.batches):5.1f}"
            if split
            else f"{'-':>8} {'-':>8} {'-':>5}"
        )
        print(
            f"{c:>13} {r.cpu['server'] * 1000 / n:17.1f} {parts}   "
            f"{share['server']:.0%} / {share['connector']:.0%} / {share['client']:.0%}"
        )
    if 32 not in results:
        return
    r = results[32]
    n = len(r.latencies)
    own = r.cpu["server"] / n
    print(
        f"at 32 the server's CPU, {own * 1000:.1f} ms a message, would allow "
        f"{CORES / own:.0f} msg/s with all {CORES} cores to itself "
        f"({CORES / own / base:.1f}x single-stream)"
        + (
            f"; what is not encoding, {(r.cpu['server'] - r.encoder_cpu) / n * 1000:.1f} ms a "
            f"message, is Python under one GIL: at most {n / (r.cpu['server'] - r.encoder_cpu):.0f}"
            f" msg/s ({n / (r.cpu['server'] - r.encoder_cpu) / base:.1f}x single-stream) in one "
            "process"
            if split
            else ""
        )
    )
    print(
        f"at 32: {r.rate / base:.1f}x single-stream (target >= 6x; the encode floor allows "
        f"{batched / single:.1f}x), /healthz p99 {percentile(r.health, 0.99) * 1000:.0f} ms "
        f"(target <= 100 ms); {r.rate / batched:.0%} of the batch-32 encode rate"
    )


def report_bursts(one: Burst, new: Burst, burst: tuple[int, int], gap: Gap) -> None:
    """One gap's two shapes side by side, and the p95 ratio (same run, same requests)."""
    customers, messages = burst
    pace = "each after the previous answer" if gap is None else f"one every {gap:.2f} s"
    print(f"burst: {customers} customers x {messages} messages, {pace}")
    places = " ".join(f"{f'p95 #{n + 1}':>7}" for n in range(messages))
    print(
        f"{'shape':>28} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} {places}  "
        f"CPU busy: machine / server (of {CORES} cores)"
    )
    for name, shape in (("one conversation a customer", one), ("a new conversation each", new)):
        ms = sorted(v * 1000 for v in shape.latencies)
        each = " ".join(
            f"{percentile([v * 1000 for v in shape.by_place.get(n, [0.0])], 0.95):7.0f}"
            for n in range(messages)
        )
        cores = shape.elapsed * CORES
        print(
            f"{name:>28} {statistics.median(ms):7.0f} {percentile(ms, 0.95):7.0f} "
            f"{ms[-1]:7.0f} {each}  {shape.busy / cores:.0%} / {shape.server / cores:.0%}"
        )
    ratio = percentile(one.latencies, 0.95) / percentile(new.latencies, 0.95)
    print(
        f"p95 one conversation / new conversations: {ratio:.2f}x "
        "(1.0x: a message never waits for its conversation's previous one)"
    )


if __name__ == "__main__":
    main()
