"""Tickets opened per second, one thread and several, on SQLite and PostgreSQL; and how fast
one dispatcher drains the outbox they leave (to an in-memory channel).

    .venv/bin/python benchmarks/tickets_throughput.py [--tickets 400] [--threads 1,4,8]
        [--postgres postgresql://postgres@127.0.0.1:5432/postgres | --no-postgres]

Each opening is the full production write: ticket row, "opened" event and the outbox row, in
one transaction (and a durable commit: WAL + synchronous=NORMAL on SQLite, the server's
default synchronous_commit on PostgreSQL). PostgreSQL runs in a scratch database created
for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.channel import RecordingChannel
from bot.delivery.dispatcher import Dispatcher
from bot.tickets.store import TicketStore


def open_tickets(store: TicketStore, count: int, threads: int) -> float:
    """Open `count` tickets from `threads` threads; return tickets per second."""
    per_thread = [count // threads + (1 if i < count % threads else 0) for i in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def work(worker: int, n: int) -> None:
        barrier.wait()
        for _ in range(n):
            with store.database.write() as session:
                store.open_in(
                    session,
                    customer_id=f"customer-{worker}",
                    category="refund",
                    route="partner",
                    question="Can I get a refund for the seats I removed in March?",
                    transcript=[
                        ("customer", "Can I get a refund for the seats I removed in March?"),
                        ("bot", "I'm not sure; let me get a person."),
                    ],
                    evidence=["policies/refunds.md#2", "INV-2025-03 line 4"],
                    channel="teams",
                    conversation=f"conv-{uuid.uuid4().hex}",  # one active ticket per conversation
                )

    pool = [threading.Thread(target=work, args=(w, n)) for w, n in enumerate(per_thread)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    return count / (time.perf_counter() - started)


def drain(store: TicketStore) -> tuple[int, float]:
    channel = RecordingChannel("slack")
    dispatcher = Dispatcher(store.outbox, {"slack": channel}, batch=50)

    async def run() -> None:
        while await dispatcher.run_once():
            pass

    started = time.perf_counter()
    asyncio.run(run())
    return len(channel.delivered), time.perf_counter() - started


def bench(label: str, url: str, tickets: int, thread_counts: list[int]) -> None:
    with TicketStore.from_url(url) as store:
        open_tickets(store, 20, 1)  # warm up: connections, statement caches
        for threads in thread_counts:
            rate = open_tickets(store, tickets, threads)
            note = " (baseline)" if threads == 1 else ""
            print(f"{label:<11} {threads:>2} thread(s): {rate:8.0f} tickets/s{note}", flush=True)
        delivered, seconds = drain(store)
        print(
            f"{label:<11} dispatcher: {delivered / seconds:8.0f} outbox rows/s "
            f"({delivered} rows in {seconds:.2f} s)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=400, help="tickets per measurement")
    parser.add_argument("--threads", default="1,2,4,8", help="comma-separated thread counts")
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a server URL; a scratch database is created next to this one",
    )
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    thread_counts = [int(t) for t in args.threads.split(",")]
    print(f"{args.tickets} tickets per measurement; threads: {thread_counts}")

    with tempfile.TemporaryDirectory() as folder:
        bench("sqlite", f"sqlite:///{Path(folder) / 'billing.db'}", args.tickets, thread_counts)

    if args.no_postgres:
        return
    admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    name = f"billing_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"postgresql  skipped: cannot create a scratch database ({exc.__class__.__name__})")
        return
    try:
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        bench("postgresql", url, args.tickets, thread_counts)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
