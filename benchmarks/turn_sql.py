"""Per-turn SQL through the store vs the raw driver doing the same statements.

    .venv/bin/python benchmarks/turn_sql.py [--turns 400] [--postgres URL | --no-postgres]

One turn's SQL, as a Teams message pays it: `Storage.before_turn` (the event seen? the
conversation's state, its active ticket), `Storage.turn` committing the event's id, the
conversation's new state, the turn's row for the report and the reply as a claimed outbox
row, then the reply settled as
delivered (`Outbox.delivered`, after the inline send). The raw side runs the same statements
with `sqlite3` / `psycopg` directly (parameters bound, JSON encoded, one connection kept
open): what the store could cost at best. Both sides run on the same database, turns
alternating between them so the machine's noise falls on both; each side has its own
conversations, with a stored state like a real conversation's.

Printed, per database: the statements (and transactions) one turn sends through each side,
p50 per turn, and the store's cost as a multiple of the raw driver's (target <= 2x).
PostgreSQL runs in a scratch database made for the run (commits without the WAL flush, as
the test databases: the disk's fsync is the same on both sides and mostly noise here).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from bot.conversation.state import ConversationState, Shown  # noqa: E402
from bot.conversation.turns import TurnNote  # noqa: E402
from bot.delivery.outbox import OutboxStatus  # noqa: E402
from bot.report.outcomes import EPISODE_GAP  # noqa: E402
from bot.storage.stores import Storage  # noqa: E402
from bot.storage.turn import INLINE_LEASE  # noqa: E402
from bot.tickets.status import ACTIVE  # noqa: E402
from bot.types import Citation, Message, Reply, ReplyKind  # noqa: E402

CONVERSATIONS = 20
POSTGRES = "postgresql://postgres@127.0.0.1:5432"
ACTIVE_STATUSES = sorted(s.value for s in ACTIVE)


def reply_for(n: int) -> Reply:
    return Reply(
        "Invoices are due 30 days after the invoice date. You can pay by bank transfer or card "
        f"from the billing portal; a reminder goes out 7 days before the due date. ({n})",
        ReplyKind.ANSWER,
        0.82,
        citations=(Citation("Payment terms", "When invoices are due", "payment-terms.md"),),
    )


def state_after(n: int) -> ConversationState:
    state = ConversationState(language="en", shown=Shown("policy", article="payment-terms.md"))
    for turn in range(3):
        state = state.said("customer", f"When is my invoice due? ({n}.{turn})")
        state = state.said("bot", reply_for(n).text)
    return state


class Counter:
    """The statements SQLite runs for one side (BEGIN and COMMIT included), from the
    driver's trace callback."""

    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, _statement: str) -> None:
        self.statements += 1

    def watch_store(self, storage: Storage) -> None:
        event.listen(
            storage.db.engine.pool,
            "checkout",
            lambda dbapi, *_: dbapi.set_trace_callback(self),
        )

    def per_turn(self, turn: Callable[[], None]) -> int:
        before = self.statements
        turn()
        return self.statements - before


# -- the store --------------------------------------------------------------------------------
def store_turn(storage: Storage, conversation: str, n: int) -> None:
    message = Message(
        "When is my invoice due?",
        channel="teams",
        conversation=conversation,
        tenant_id="tenant",
        event_id=str(uuid.uuid4()),
    )
    before = storage.before_turn(message)
    assert before.seen is None
    with storage.turn(message, before) as turn:
        turn.state = state_after(n)
        turn.note = TurnNote("contoso", "policy")
        handled = turn.reply(reply_for(n))
    assert handled.delivery is not None
    assert storage.outbox.delivered(handled.delivery, f"ref-{n}", now=storage.db.now())


# -- the raw driver ---------------------------------------------------------------------------
class Raw:
    """The same statements, by hand, on one open DBAPI connection."""

    def __init__(self, url: str, path: Path | None) -> None:
        self.postgres = path is None
        if self.postgres:
            import psycopg

            self.conn: Any = psycopg.connect(url.replace("+psycopg", ""), autocommit=True)
            self.mark = "%s"
        else:
            self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self.conn.execute("PRAGMA busy_timeout=30000")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA foreign_keys=ON")
            self.mark = "?"

    def sql(self, statement: str) -> str:
        return statement.replace("?", self.mark)

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> Any:
        return self.conn.execute(self.sql(statement), params)

    def when(self, at: datetime) -> Any:
        return at if self.postgres else at.replace(tzinfo=None).isoformat(" ")

    def json(self, value: Any) -> Any:
        if self.postgres:
            from psycopg.types.json import Jsonb

            return Jsonb(value)
        return json.dumps(value)

    def begin(self, write: bool) -> None:
        if self.postgres:
            self.execute("BEGIN")
        else:
            self.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    def turn(self, conversation: str, n: int) -> None:
        event_id, now = str(uuid.uuid4()), datetime.now(UTC)
        marks = ", ".join("?" for _ in ACTIVE_STATUSES)
        # before the turn: one read
        seen = self.execute(
            "SELECT inbound_events.result, conversations.state, tickets.id, "
            "tickets.customer_id, tickets.category, tickets.route, tickets.status, "
            "tickets.question, tickets.transcript, tickets.evidence, tickets.channel, "
            "tickets.conversation, tickets.thread, tickets.assignee, tickets.created_at, "
            "tickets.updated_at FROM (SELECT 1 AS one) AS here "
            "LEFT OUTER JOIN inbound_events ON inbound_events.source = ? "
            "AND inbound_events.event_id = ? "
            "LEFT OUTER JOIN conversations ON conversations.channel = ? "
            "AND conversations.conversation = ? "
            "LEFT OUTER JOIN tickets ON tickets.channel = ? AND tickets.conversation = ? "
            f"AND tickets.status IN ({marks})",
            ("teams", event_id, "teams", conversation, "teams", conversation, *ACTIVE_STATUSES),
        ).fetchall()
        assert seen[0][0] is None
        stored = seen[0][1]
        ConversationState.from_json(stored)
        # the one commit
        self.begin(write=True)
        claimed = self.execute(
            "INSERT INTO inbound_events (source, event_id, received_at) VALUES (?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING id",
            ("teams", event_id, self.when(now)),
        ).fetchone()
        assert claimed is not None
        state = state_after(n).to_json()
        self.execute(
            "INSERT INTO conversations (channel, conversation, reference, customer_id, "
            "updated_at, state) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, conversation) "
            "DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            ("teams", conversation, self.json({}), None, self.when(now), self.json(state)),
        )
        self.record_turn(conversation, now)
        key = f"reply:teams:{event_id}"
        reply = reply_for(n).to_json()
        token = str(uuid.uuid4())
        row = self.execute(
            'INSERT INTO outbox ("key", ticket_id, channel, conversation, thread_mode, event, '
            "body, status, attempts, next_attempt_at, lease_until, claim_token, last_error, "
            "reference, created_at, delivered_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                key,
                None,
                "teams",
                conversation,
                "none",
                "reply",
                self.json({"reply": reply, "question": "When is my invoice due?"}),
                OutboxStatus.PENDING.value,
                1,
                self.when(now),
                self.when(now + INLINE_LEASE),
                token,
                None,
                None,
                self.when(now),
                None,
            ),
        ).fetchone()
        self.execute(
            "UPDATE inbound_events SET result = ? WHERE source = ? AND event_id = ?",
            (self.json({"reply": reply, "outbox": key}), "teams", event_id),
        )
        self.execute("COMMIT")
        # settled after the inline send
        done = self.execute(
            "UPDATE outbox SET status = ?, lease_until = ?, last_error = ?, reference = ?, "
            "delivered_at = ? WHERE id = ? AND status = ? RETURNING ticket_id",
            (
                OutboxStatus.DELIVERED.value,
                None,
                None,
                f"ref-{n}",
                self.when(datetime.now(UTC)),
                row[0],
                OutboxStatus.PENDING.value,
            ),
        ).fetchone()
        assert done is not None

    def record_turn(self, conversation: str, now: datetime) -> None:
        """The turn's row for the resolution report, with its episode (the last turn's, or
        its own id), in one statement as `TurnLog.record_in` writes it."""
        new = (
            "(SELECT nextval(pg_get_serial_sequence('turns', 'id')) AS id)"
            if self.postgres
            else "(SELECT COALESCE(MAX(id), 0) + 1 AS id FROM turns)"
        )
        self.execute(
            "INSERT INTO turns (at, channel, conversation, customer_id, language, kind, intent, "
            "topic, ticket_id, offered, id, episode) "
            "SELECT ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS INTEGER), ?, new.id, COALESCE(("
            "SELECT last.episode FROM (SELECT at, episode FROM turns "
            "WHERE channel = ? AND conversation = ? ORDER BY at DESC, id DESC LIMIT 1) AS last "
            "WHERE last.at > ? AND NOT EXISTS (SELECT 1 FROM ticket_events ev "
            "JOIN tickets k ON k.id = ev.ticket_id WHERE k.channel = ? AND k.conversation = ? "
            "AND ev.kind = 'status' AND ev.to_status = 'resolved' AND ev.at >= last.at)"
            f"), new.id) FROM {new} AS new",
            (
                self.when(now),
                "teams",
                conversation,
                "contoso",
                "en",
                "answer",
                "policy",
                "payment-terms.md",
                None,
                False,
                "teams",
                conversation,
                self.when(now - EPISODE_GAP),
                "teams",
                conversation,
            ),
        )

    def close(self) -> None:
        self.conn.close()


def measure(label: str, url: str, path: Path | None, turns: int) -> float:
    storage = Storage.from_url(url)
    raw = Raw(url, path)
    run = uuid.uuid4().hex[:8]
    sides: dict[str, Callable[[int], None]] = {
        "store": lambda n: store_turn(storage, f"store-{run}-{n % CONVERSATIONS}", n),
        "raw": lambda n: raw.turn(f"raw-{run}-{n % CONVERSATIONS}", n),
    }
    for n in range(2 * CONVERSATIONS):  # every conversation has a stored state
        for side in sides.values():
            side(n)
    counted = ""
    if path is not None:
        store, bare = Counter(), Counter()
        store.watch_store(storage)
        raw.conn.set_trace_callback(bare)
        statements = (
            store.per_turn(lambda: sides["store"](0)),
            bare.per_turn(lambda: sides["raw"](0)),
        )
        raw.conn.set_trace_callback(None)
        counted = f" ({statements[0]} vs {statements[1]} statements a turn)"
    times: dict[str, list[float]] = {name: [] for name in sides}
    for n in range(turns):
        for name, side in sides.items():
            started = time.perf_counter()
            side(n)
            times[name].append(time.perf_counter() - started)
    raw.close()
    storage.close()
    ours, bare = (statistics.median(times[s]) * 1000 for s in ("store", "raw"))
    print(
        f"{label:10} store {ours:5.2f} ms/turn, raw driver {bare:5.2f} ms/turn: "
        f"{ours / bare:.2f}x (target <= 2x){counted}"
    )
    return ours / bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=400)
    parser.add_argument(
        "--postgres", default=POSTGRES, help="a server; the run makes its own database there"
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"per-turn SQL, p50 of {args.turns} turns a side (alternating), this run:")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        measure("SQLite", f"sqlite:///{path}", path, args.turns)
    if not args.no_postgres:
        with scratch_database(args.postgres) as url:
            measure("PostgreSQL", url, None, args.turns)


@contextmanager
def scratch_database(server: str) -> Iterator[str]:
    """A fresh database on `server`, dropped afterwards. Commits skip the WAL flush: the
    disk's fsync is the same on both sides and, on a shared machine, mostly noise."""
    import psycopg

    name = f"billing_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
