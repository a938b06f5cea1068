"""The resolution report over a generated year of a large partner.

    .venv/bin/python benchmarks/report.py [--scale 1.0] [--databases sqlite,postgres]

At scale 1: 10,000 customers, 500,000 conversations, 2 million messages (1 million customer
turns and their replies), with the tickets, agents' replies and resolutions, votes,
unanswered questions and payment reminders that go with them, spread over 2026 and written
straight into a fresh database (SQLite file; PostgreSQL: a new database on 127.0.0.1:5432,
dropped at the end) at the schema before the turns' episodes (migration 0011), then migrated
to the newest, whose 0012 fills each turn's episode as a partner's upgrade does (its time is
printed apart: what storing the episode costs a year of turns at once; when a turn is
stored, benchmarks/turn_sql.py measures it). Then, per database, `billing-bot report`'s
computation (`gather`, with the hashing embedder for the unanswered questions: the model's
load is not the report's cost) runs over the whole year in a fresh child process, at a
quarter of the size and at the full size, and prints:

- the report's time (target: <= 10 s at scale 1), in seconds and as a multiple of a
  baseline measured in the same child just before it: one plain read of every turn (the
  machine is shared, and a loaded machine slows both alike);
- the child's peak RSS at both sizes and their ratio (target: flat in the number of
  messages, i.e. a ratio near 1 while the messages grow 4x).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Generator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

YEAR = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2027, 1, 15, tzinfo=UTC)  # every follow-up window of the year has passed
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
ARTICLES = [f"articles/topic-{i:02d}.md" for i in range(14)]
LOOKUPS = ["invoice.balance", "invoice.due", "invoice.status", "invoice.show", "invoice.line"]
ROUTES = [
    ("billing_dispute", "partner_billing"),
    ("refund_or_credit", "partner_billing"),
    ("microsoft_commercial", "microsoft_commercial"),
    ("microsoft_technical", "microsoft_technical"),
]
QUESTIONS = [
    "can we pay in {x}?",
    "do you accept {x} for invoices?",
    "is there a discount for {x}?",
    "how do I change the {x} on my account?",
]
THINGS = ["bitcoin", "cheques", "nonprofits", "billing contact", "company name", "paypal"]
TURN_COLUMNS = (
    "at",
    "channel",
    "conversation",
    "customer_id",
    "language",
    "kind",
    "intent",
    "topic",
    "ticket_id",
    "offered",
)


def turn(
    at: datetime,
    who: tuple[str, str, str],
    kind: str,
    intent: str | None,
    topic: str | None,
    *,
    ticket: int | None = None,
    offered: bool = False,
) -> tuple[Any, ...]:
    """A `turns` row; `who`: (conversation, customer, language)."""
    conversation, customer, language = who
    return (at, "teams", conversation, customer, language, kind, intent, topic, ticket, offered)


Row = tuple[str, tuple[Any, ...]]
Who = tuple[str, str, str]


def generate(conversations: int, customers: int) -> Iterator[Row]:
    """(table, row) for every generated row, deterministic; 2 customer turns a conversation
    on average (each with its reply: 4 messages)."""
    rng = random.Random(20)
    ticket = 1000
    event = 0
    for i in range(conversations):
        customer = f"cust-{i % customers:05d}"
        conversation = f"conv-{i:07d}"
        at = YEAR + timedelta(seconds=rng.randrange(365 * 86400))
        language = "es" if i % 5 == 0 else "en"

        who = (conversation, customer, language)

        first = rng.random()
        turns = 1 + (rng.random() < 0.5) * 2  # 1 or 3 turns: 2 on average
        if first < 0.07:  # a ticket: agents reply and resolve it within days
            ticket += 1
            event = yield from _ticket(rng, who, at, turns, ticket, event)
            continue
        at = yield from _turns(rng, who, at, turns)
        if i % 40 == 0:  # a payment reminder, paid within a week half the time
            day = at.date()
            number = f"NW-2026-{i:07d}"
            yield (
                "collection_steps",
                (number, "reminder+7", customer, day, "teams", None, "bench", at),
            )
            if rng.random() < 0.5:
                paid = day + timedelta(days=rng.randrange(1, 12))
                yield ("invoice_lines", (number, customer, day, paid))


def _ticket(
    rng: random.Random, who: Who, at: datetime, turns: int, ticket: int, event: int
) -> Generator[Row, None, int]:
    """A ticket's rows, its events and its conversation's turns; returns the last event id."""
    from bot.understanding.intents import escalate_intent  # here: not in the measured child

    conversation, customer, _language = who
    category, route = ROUTES[rng.randrange(len(ROUTES))]
    yield (
        "tickets",
        (
            ticket,
            customer,
            category,
            route,
            "resolved",
            "…",
            "[]",
            "[]",
            "teams",
            conversation,
            at,
            at,
        ),
    )
    reply = at + timedelta(hours=rng.uniform(0.2, 30))
    done = reply + timedelta(hours=rng.uniform(1, 80))
    for kind, when, to in (
        ("opened", at, "open"),
        ("agent_reply", reply, None),
        ("status", done, "resolved"),
    ):
        event += 1
        yield ("ticket_events", (event, ticket, when, "agent", kind, None, None, to))
    yield (
        "turns",
        turn(at, who, "escalate", escalate_intent(category), f"ticket:{category}", ticket=ticket),
    )
    for _ in range(turns - 1):
        at += timedelta(minutes=rng.randrange(1, 30))
        yield (
            "turns",
            turn(at, who, "relayed", "policy", f"ticket:{category}", ticket=ticket),
        )
    return event


def _turns(
    rng: random.Random, who: Who, at: datetime, turns: int
) -> Generator[Row, None, datetime]:
    """A conversation's turns without a ticket; returns the time of its last turn."""
    for n in range(turns):
        if n:
            at += timedelta(minutes=rng.randrange(1, 10))
        roll = rng.random() if n == 0 else rng.random() * 1.6
        yield from _turn(rng, who, at, roll)
    return at


def _turn(rng: random.Random, who: Who, at: datetime, roll: float) -> Iterator[Row]:
    """One turn of the kind `roll` picks, with its unanswered question or feedback."""
    conversation, customer, _language = who
    if roll < 0.55:
        yield (
            "turns",
            turn(at, who, "answer", "policy", ARTICLES[rng.randrange(len(ARTICLES))]),
        )
    elif roll < 0.75:
        lookup = LOOKUPS[rng.randrange(len(LOOKUPS))]
        yield ("turns", turn(at, who, "invoice", lookup, lookup))
    elif roll < 0.88:
        yield ("turns", turn(at, who, "not_sure", "policy", "policy", offered=True))
        question = QUESTIONS[rng.randrange(4)].format(x=THINGS[rng.randrange(6)])
        yield (
            "unanswered",
            (
                at,
                "teams",
                customer,
                "not_sure",
                question,
                0.3,
                ARTICLES[rng.randrange(len(ARTICLES))] + " › A section",
            ),
        )
    elif roll < 0.93:
        yield ("turns", turn(at, who, "out_of_scope", "not_billing", "not_billing"))
    elif roll < 1.2:
        yield ("turns", turn(at, who, "greeting", "solved", None))
    elif roll < 1.4:
        yield ("turns", turn(at, who, "feedback", "feedback.helpful", None))
        yield ("feedback", ("teams", conversation, True, ARTICLES[0], at))
    else:
        yield ("turns", turn(at, who, "feedback", "feedback.unhelpful", None))
        yield ("feedback", ("teams", conversation, False, ARTICLES[1], at))


COLUMNS = {
    "turns": TURN_COLUMNS,
    "tickets": (
        "id",
        "customer_id",
        "category",
        "route",
        "status",
        "question",
        "transcript",
        "evidence",
        "channel",
        "conversation",
        "created_at",
        "updated_at",
    ),
    "ticket_events": ("id", "ticket_id", "at", "actor", "kind", "text", "from_status", "to_status"),
    "unanswered": ("at", "channel", "customer_id", "kind", "question", "confidence", "nearest"),
    "feedback": ("channel", "conversation", "helpful", "about", "at"),
    "collection_steps": (
        "invoice",
        "step",
        "customer_id",
        "day",
        "sent_to",
        "outbox_key",
        "by",
        "at",
    ),
}


def fill(url: str, conversations: int, customers: int) -> tuple[dict[str, int], float]:
    """Write the generated rows in batches (PostgreSQL: COPY) at revision 0011, then migrate
    to the newest; returns rows per table and the seconds 0012's backfill took."""
    from sqlalchemy import text

    from bot.storage.database import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine, "0011")  # as stored before the turns' episodes
    counts: dict[str, int] = {}
    batches: dict[str, list[tuple[Any, ...]]] = {}
    sqlite = url.startswith("sqlite")
    source = _source_row(engine)

    def flush(table: str) -> None:
        _write(engine, sqlite, source, table, batches.pop(table, []))

    for table, row in generate(conversations, customers):
        batches.setdefault(table, []).append(row)
        counts[table] = counts.get(table, 0) + 1
        if len(batches[table]) >= 20_000:
            for parent_first in ORDER:  # tickets before their events
                flush(parent_first)
    for table in ORDER:
        flush(table)
    started = time.perf_counter()
    upgrade(engine)  # 0012: every turn's episode
    backfill = time.perf_counter() - started
    with engine.begin() as conn:
        if not sqlite:  # sequences after explicit ids
            conn.execute(text("SELECT setval('tickets_id_seq', (SELECT MAX(id) FROM tickets))"))
        conn.execute(text("ANALYZE"))  # fresh statistics for the planner
    if not sqlite:
        # And the visibility map a year of autovacuum would have set (it vacuums tables that
        # only grow, since PostgreSQL 13): index-only scans need it.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM"))
    engine.dispose()
    return counts, backfill


def _write(engine: Any, sqlite: bool, source: int, table: str, rows: list[tuple[Any, ...]]) -> None:
    """One batch of `table`'s rows (PostgreSQL: COPY)."""
    if not rows:
        return
    if table == "invoice_lines":
        rows = [_line(source, *row) for row in rows]
        names = LINE_COLUMNS
    else:
        names = COLUMNS[table]
    if sqlite:
        rows = [tuple(_sqlite(v) for v in row) for row in rows]
        marks = ", ".join("?" for _ in names)
        with engine.begin() as conn:
            conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", rows)
        return
    statement = f"COPY {table} ({', '.join(names)}) FROM STDIN"
    with engine.begin() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)


ORDER = (
    "tickets",
    "ticket_events",
    "turns",
    "unanswered",
    "feedback",
    "collection_steps",
    "invoice_lines",
)
LINE_COLUMNS = (
    "source_id",
    "line",
    "invoice_number",
    "customer_id",
    "issue_date",
    "due_date",
    "period_start",
    "period_end",
    "product",
    "sku",
    "charge_type",
    "quantity",
    "unit_price",
    "amount",
    "tax",
    "currency",
    "status",
    "paid_date",
    "line_key",
    "row_hash",
    "voided_at",
)


def _source_row(engine: Any) -> int:
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO invoice_sources (origin, name, sha256, state, rank, position, "
                "row_count, created_at) VALUES ('import', 'bench', '', 'live', 1, 1, 0, :at)"
            ),
            {"at": YEAR.replace(tzinfo=None) if engine.dialect.name == "sqlite" else YEAR},
        )
        return int(conn.execute(text("SELECT MAX(id) FROM invoice_sources")).scalar_one())


def _line(source: int, number: str, customer: str, day: date, paid: date) -> tuple[Any, ...]:
    return (
        source,
        1,
        number,
        customer,
        day,
        day,
        day,
        day,
        "Microsoft 365 E3",
        "E3",
        "renewal",
        "1",
        "37.80",
        "37.80",
        "0",
        "EUR",
        "paid",
        paid,
        1,
        "",
        None,
    )


def _sqlite(value: Any) -> Any:
    """As SQLAlchemy stores it on SQLite: naive UTC text, dates as ISO text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def measure(url: str) -> dict[str, Any]:
    """In this (fresh) process: the report over the year; its time and the peak RSS."""
    from bot.report.figures import gather
    from bot.report.folder import read_folder
    from bot.retrieval.embedder import HashingEmbedder
    from bot.storage.database import Database

    facts = read_folder(ROOT / "knowledge", "en")
    db = Database.from_url(url, clock=lambda: NOW)
    baseline = _read_every_turn(db)
    started = time.perf_counter()
    report = gather(
        db,
        since=YEAR,
        until=YEAR + timedelta(days=365),
        hours=facts.hours,
        articles=tuple(ARTICLES),
        embedder=HashingEmbedder(),
        names=facts.names,
    )
    seconds = time.perf_counter() - started
    db.close()
    return {
        "seconds": round(seconds, 2),
        "baseline_seconds": round(baseline, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "episodes": report.total.total,
        "confirmed_rate": report.total.rate(_outcome("confirmed")),
        "assumed_rate": report.total.rate(_outcome("assumed")),
        "weeks": len(report.weeks),
    }


def _read_every_turn(db: Any) -> float:
    """The baseline, measured in the same process on the same database just before the
    report: the seconds one plain read of every turn of the year takes (each row's columns
    compared once, no order, one worker), so the report's time can be read as a multiple
    of it whatever else the machine was doing."""
    from sqlalchemy import text

    statement = text(
        "SELECT COUNT(*), MAX(at), MAX(conversation), MAX(kind), MAX(intent), MAX(topic) FROM turns"
    )
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        conn.execute(statement).one()  # the first read warms the cache; the second counts
        started = time.perf_counter()
        conn.execute(statement).one()
        seconds = time.perf_counter() - started
        conn.rollback()
    return seconds


def _outcome(name: str) -> Any:
    from bot.report.outcomes import Outcome

    return Outcome(name)


def _database(kind: str, folder: Path) -> tuple[str, Any]:
    """A fresh database's URL and how to drop it."""
    if kind == "sqlite":
        path = folder / f"report-{uuid.uuid4().hex[:8]}.db"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    from sqlalchemy import create_engine, text

    name = f"bench_report_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return f"{PG_SERVER}/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1.0: 500,000 conversations")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # the child: a database URL
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    customers = max(10, round(10_000 * args.scale))
    with tempfile.TemporaryDirectory(prefix="bench-report-") as scratch:
        for kind in args.databases.split(","):
            runs = []
            for share in (0.25, 1.0):
                conversations = max(40, round(500_000 * args.scale * share))
                url, drop = _database(kind, Path(scratch))
                try:
                    started = time.perf_counter()
                    counts, backfill = fill(url, conversations, customers)
                    filled = time.perf_counter() - started
                    child = subprocess.run(
                        [sys.executable, __file__, "--measure", url],
                        capture_output=True,
                        text=True,
                        check=True,
                    )
                    result = json.loads(child.stdout.strip().splitlines()[-1])
                finally:
                    drop()
                messages = 2 * counts["turns"]
                runs.append((messages, result))
                print(
                    f"{kind:8} {conversations:>7,} conversations, {messages:>9,} messages "
                    f"({counts.get('tickets', 0):,} tickets, {counts.get('unanswered', 0):,} "
                    f"unanswered; filled in {filled:.0f} s, of which 0012's backfill of the "
                    f"turns' episodes {backfill:.1f} s): report {result['seconds']:.2f} s "
                    f"= {result['seconds'] / result['baseline_seconds']:.1f}x a read of every "
                    f"turn ({result['baseline_seconds']:.2f} s, same run), "
                    f"peak RSS {result['peak_rss_mb']:.0f} MB, {result['episodes']:,} episodes, "
                    f"confirmed {result['confirmed_rate']:.1%}, "
                    f"assumed {result['assumed_rate']:.1%}"
                )
                sys.stdout.flush()
            (small_n, small), (large_n, large) = runs
            print(
                f"{kind:8} peak RSS {large['peak_rss_mb']:.0f} MB / {small['peak_rss_mb']:.0f} MB "
                f"= {large['peak_rss_mb'] / small['peak_rss_mb']:.2f}x for "
                f"{large_n / small_n:.1f}x the messages; time {large['seconds']:.2f} s "
                f"= {large['seconds'] / large['baseline_seconds']:.1f}x a read of every turn "
                f"(target <= 10 s at scale 1)"
            )


if __name__ == "__main__":
    main()
