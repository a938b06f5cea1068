"""The collections plan for a large partner, then its messages through the outbox.

    .venv/bin/python benchmarks/collections_plan.py [--customers 10000] [--months 24]
        [--lines 1] [--day 2026-12-09] [--keep DIR]

Generates the `benchmarks/large_partner.py` folder (10,000 customers x 24 months = 240,000
invoices; one line each by default: the plan is per invoice) into the folder's own
`invoices/large.csv`, loads it into a SQLite database, gives every customer with an open
invoice past due a stored Teams conversation (one in fifty of the generated ones, and the
sample's), then prints, measured in this run:

- the baseline: reading every invoice from the database (`list(knowledge.invoices)`);
- the plan of `--day` (`Reminders.plan`: the facts read from storage and the plan computed),
  its seconds and its ratio to the baseline; target <= 5 s;
- the run (`Reminders.run`: the plan again, each message and the day's digest written to the
  outbox in one transaction), then a second run (nothing new), then the outbox dispatcher
  delivering to in-memory channels (`RecordingChannel`) until nothing is pending: every
  queued key delivered once. Targets: 0 lost, 0 duplicated.

With `--kills N`, the messages are delivered by a dispatcher in a process of its own that is
killed with SIGKILL N times, each at a random moment (0-50 ms) after it began delivering,
and started again,
then left to finish; its channels append each delivered key to a file (flushed and synced
before the delivery returns, as a platform that took the message). Lost: a queued key never
in the file. A key in the file twice is a resend after a kill that struck between the
platform taking the message and the row being marked delivered: reminders carry their key
(`channelData.deliveryKey` in Teams) so an idempotent receiver drops it; it is counted on a
line of its own, as `benchmarks/chaos.py` does for answers.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.large_partner import customer_id, generate  # noqa: E402
from bot.channel import Delivered, Outgoing, RecordingChannel  # noqa: E402
from bot.collections.run import Reminders  # noqa: E402
from bot.delivery.dispatcher import Dispatcher  # noqa: E402
from bot.invoices.folder import load_served  # noqa: E402
from bot.storage.models import OutboxRow  # noqa: E402
from bot.storage.stores import Storage  # noqa: E402

TARGET_PLAN = 5.0  # seconds


def reachable(storage: Storage, customers: int, sample: list[str]) -> int:
    """A stored Teams conversation for the late generated customers and the sample's."""
    count = 0
    for cid in sample:
        reference = {"serviceUrl": "https://connector.example/", "conversation": {"id": cid}}
        storage.conversations.remember("teams", f"conv-{cid}", reference, cid)
        count += 1
    for n in range(0, customers, 50):  # large_partner.py: one in fifty is late
        cid = customer_id(n)
        reference = {"serviceUrl": "https://connector.example/", "conversation": {"id": cid}}
        storage.conversations.remember("teams", f"conv-{cid}", reference, cid)
        count += 1
    return count


async def drain(storage: Storage) -> dict[str, RecordingChannel]:
    channels = {"teams": RecordingChannel("teams"), "slack": RecordingChannel("slack")}
    dispatcher = Dispatcher(storage.outbox, channels, batch=200, poll_interval=0.01)
    while await dispatcher.run_once():
        pass
    return channels


class KeyLog:
    """A channel that writes each delivered key to a file before it returns."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self._file = path.open("a", encoding="utf-8")

    async def deliver(self, message: Outgoing) -> Delivered:
        self._file.write(message.key + "\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        return Delivered(reference=message.key)


async def deliver_all(database: str, log: Path) -> None:
    """The `deliver` sub-command: dispatch until nothing is pending (then exit 0)."""
    storage = Storage.from_url(database)
    channels = {"teams": KeyLog("teams", log), "slack": KeyLog("slack", log)}
    dispatcher = Dispatcher(storage.outbox, channels, batch=20, poll_interval=0.01)
    # Until nothing waits: rows a killed deliverer had claimed come back when its lease ends.
    while storage.outbox.backlog(storage.db.now()).pending:
        if not await dispatcher.run_once():
            await asyncio.sleep(0.2)


def deliver_under_kills(database: str, log: Path, kills: int, seed: int) -> int:
    """Start the deliverer, SIGKILL it `kills` times, then let it finish; kills that landed."""
    dice = random.Random(seed)
    command = [sys.executable, __file__, "deliver", "--database", database, "--log", str(log)]
    landed = 0
    for _ in range(kills):
        before = log.stat().st_size if log.exists() else 0
        process = subprocess.Popen(command)
        # Once it has started delivering (the log grew), a random moment later: mid-work.
        while process.poll() is None and (log.stat().st_size if log.exists() else 0) == before:
            time.sleep(0.005)
        time.sleep(dice.uniform(0.0, 0.05))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            landed += 1
        process.wait()
    subprocess.run(command, check=True)
    return landed


def main() -> None:
    if sys.argv[1:2] == ["deliver"]:
        sub = argparse.ArgumentParser(prog="collections_plan.py deliver")
        sub.add_argument("--database", required=True)
        sub.add_argument("--log", type=Path, required=True)
        options = sub.parse_args(sys.argv[2:])
        asyncio.run(deliver_all(options.database, options.log))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--lines", type=int, default=1)
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 12, 9))
    parser.add_argument("--keep", type=Path, help="generate here and keep it")
    parser.add_argument("--kills", type=int, default=0, help="SIGKILL the deliverer N times")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="collections-plan-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        facts = generate(work, args.customers, args.months, args.lines, native=True)
        print(f"generated {facts['invoices']:,} invoices ({facts['lines']:,} lines)")
        storage = Storage.from_url(f"sqlite:///{work / 'billing.db'}")
        started = time.perf_counter()
        knowledge = load_served(Path(facts["folder"]), storage.db)
        print(f"loaded into the database in {time.perf_counter() - started:.1f} s")
        sample = [c.id for c in knowledge.customers if not c.id.startswith("lp")]
        print(f"stored Teams conversations: {reachable(storage, args.customers, sample)}")

        started = time.perf_counter()
        everything = list(knowledge.invoices)
        baseline = time.perf_counter() - started
        print(f"baseline: read {len(everything):,} invoices in {baseline:.2f} s")
        del everything

        reminders = Reminders(storage, lambda: knowledge, by="bench")
        started = time.perf_counter()
        plan = reminders.plan(args.day)
        planned = time.perf_counter() - started
        verdict = "ok" if planned <= TARGET_PLAN else "OVER TARGET"
        print(
            f"plan of {args.day}: {len(plan.entries):,} open invoices, "
            f"{len(plan.to_send):,} to send, in {planned:.2f} s "
            f"({planned / baseline:.2f}x the baseline; target <= {TARGET_PLAN:.0f} s: {verdict})"
        )

        started = time.perf_counter()
        first = reminders.run(args.day)
        second = reminders.run(args.day)
        ran = time.perf_counter() - started
        queued = {q.key for q in first.queued}
        print(
            f"run: {len(first.queued):,} reminder(s) queued, {len(first.unreachable):,} "
            f"unreachable, digest queued: {first.digest}; a second run queued "
            f"{len(second.queued)} and digest {second.digest} ({ran:.2f} s for both)"
        )
        with storage.db.read() as session:
            rows = session.query(OutboxRow.key).count()
        started = time.perf_counter()
        resent: list[str] = []
        if args.kills:
            log = work / "delivered.log"
            database = f"sqlite:///{work / 'billing.db'}"
            landed = deliver_under_kills(database, log, args.kills, args.seed)
            delivered = log.read_text(encoding="utf-8").split()
            counts = collections.Counter(delivered)
            resent = [key for key, n in counts.items() if n > 1]
            duplicated: list[str] = []  # each resend carries its key: see the docstring
            print(f"deliverer killed with SIGKILL {landed} time(s) mid-delivery")
        else:
            channels = asyncio.run(drain(storage))
            delivered = [m.key for c in channels.values() for m in c.delivered]
            counts = collections.Counter(delivered)
            duplicated = [key for key, n in counts.items() if n > 1]
        drained = time.perf_counter() - started
        expected = queued | {f"collections_digest:{args.day.isoformat()}"}
        lost = expected - set(counts)
        pending = storage.outbox.backlog(storage.db.now()).pending
        print(
            f"outbox: {rows:,} row(s), {len(set(delivered)):,} delivered in {drained:.2f} s, "
            f"{pending} still pending; lost {len(lost)}, duplicated {len(duplicated)}"
        )
        if args.kills:
            print(f"resent under a key already taken (a kill between send and mark): {len(resent)}")
        storage.close()
        if planned > TARGET_PLAN or lost or duplicated or pending:
            sys.exit(1)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
