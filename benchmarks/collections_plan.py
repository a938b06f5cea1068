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

No process is killed here: the kill -9 guarantee of the outbox is what `benchmarks/chaos.py`
measures for answers; reminders are outbox rows like them.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.large_partner import customer_id, generate  # noqa: E402
from bot.channel import RecordingChannel  # noqa: E402
from bot.collections.run import Reminders  # noqa: E402
from bot.invoices.folder import load_served  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.tickets.dispatcher import Dispatcher  # noqa: E402
from bot.tickets.models import OutboxRow  # noqa: E402

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
    dispatcher = Dispatcher(storage.db.engine, channels, batch=200, poll_interval=0.01)
    while await dispatcher.run_once():
        pass
    return channels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--lines", type=int, default=1)
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 12, 9))
    parser.add_argument("--keep", type=Path, help="generate here and keep it")
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
        channels = asyncio.run(drain(storage))
        drained = time.perf_counter() - started
        delivered = [m.key for c in channels.values() for m in c.delivered]
        counts = collections.Counter(delivered)
        expected = queued | {f"collections_digest:{args.day.isoformat()}"}
        lost = expected - set(counts)
        duplicated = [key for key, n in counts.items() if n > 1]
        print(
            f"outbox: {rows:,} row(s), {len(delivered):,} delivered in {drained:.2f} s; "
            f"lost {len(lost)}, duplicated {len(duplicated)}"
        )
        storage.close()
        if planned > TARGET_PLAN or lost or duplicated:
            sys.exit(1)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
