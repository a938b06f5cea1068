"""SQLite writers take turns on a lock of their own, in one process and across processes,
instead of sleeping in SQLite's busy handler (1, 2, 5, 10, ... ms between tries). With the
busy timeout at 0, any write that met SQLite's lock would fail at once: none does."""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import OperationalError

from bot.storage.database import READ_ONLY, make_engine, single_statement

WRITERS, EACH = 8, 25
ROOT = Path(__file__).resolve().parents[3]
# One writer process: argv[2] write transactions, busy timeout 0; prints its failures.
WRITER_PROCESS = """
import sys
from sqlalchemy import event, text
from sqlalchemy.exc import OperationalError
from bot.storage.database import make_engine

engine = make_engine(sys.argv[1])
event.listen(engine, "connect", lambda driver, _record: driver.execute("PRAGMA busy_timeout=0"))
failures = 0
for n in range(int(sys.argv[2])):
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (:w, :n)"), {"w": int(sys.argv[3]), "n": n})
            conn.execute(text("SELECT count(*) FROM t")).scalar_one()
    except OperationalError:
        failures += 1
print(failures)
"""


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    # After the engine's own set-up: never wait for SQLite's lock, fail instead.
    event.listen(engine, "connect", lambda driver, _record: driver.execute("PRAGMA busy_timeout=0"))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (writer INTEGER, n INTEGER)"))
    return engine


def count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM t")).scalar_one())


def write_at_once(write: Callable[[int, int], None]) -> list[Exception]:
    """WRITERS threads, started together, each calling `write(writer, n)` EACH times; the
    errors SQLite's lock gave them."""
    failures: list[Exception] = []
    start = threading.Barrier(WRITERS)

    def run(writer: int) -> None:
        start.wait()
        for n in range(EACH):
            try:
                write(writer, n)
            except (OperationalError, sqlite3.OperationalError) as exc:
                failures.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_concurrent_write_transactions_never_meet_sqlites_lock(engine: Engine) -> None:
    def write(writer: int, n: int) -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (:w, :n)"), {"w": writer, "n": n})
            conn.execute(text("SELECT count(*) FROM t")).scalar_one()

    assert write_at_once(write) == []
    assert count(engine) == WRITERS * EACH


def test_a_failed_transaction_rolls_back_and_lets_the_next_writer_in(engine: Engine) -> None:
    with pytest.raises(ZeroDivisionError), engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1, 1)"))
        _ = 1 / 0

    done = threading.Event()

    def write() -> None:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (2, 2)"))
        done.set()

    threading.Thread(target=write).start()
    assert done.wait(10), "the lock was not given back after the rollback"
    assert count(engine) == 1  # the failed one's row is gone


def test_reads_do_not_wait_for_a_writer(engine: Engine) -> None:
    reader = engine.execution_options(**{READ_ONLY: True})
    with engine.begin() as writing:
        writing.execute(text("INSERT INTO t VALUES (1, 1)"))
        seen: list[int] = []
        thread = threading.Thread(target=lambda: seen.append(count(reader)))
        thread.start()
        thread.join(10)
        assert seen == [0]  # the snapshot before the writer's commit, read without waiting
    assert count(engine) == 1


def test_a_connection_dropped_in_the_middle_of_a_write_gives_the_lock_back(
    engine: Engine,
) -> None:
    def abandon() -> None:  # its transaction never ends: the pool resets the connection
        conn = engine.connect()
        conn.begin()
        conn.execute(text("INSERT INTO t VALUES (1, 1)"))

    abandon()
    gc.collect()
    done = threading.Event()

    def write() -> None:
        with engine.begin() as writing:
            writing.execute(text("INSERT INTO t VALUES (2, 2)"))
        done.set()

    threading.Thread(target=write, daemon=True).start()
    assert done.wait(10), "the lock was not given back after the connection was dropped"
    assert count(engine) == 1  # the abandoned insert was rolled back


def test_writers_in_other_processes_take_turns_too(engine: Engine) -> None:
    url, each = engine.url.render_as_string(), 400
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER_PROCESS, url, str(each), str(w)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for w in range(3)
    ]
    failures = [int(writer.communicate(timeout=120)[0]) for writer in writers]

    assert failures == [0, 0, 0]
    assert count(engine) == 3 * each


def test_lone_write_statements_take_turns_with_transactions(engine: Engine) -> None:
    lone = single_statement(engine, writes=True)

    def write(writer: int, n: int) -> None:
        if writer % 2:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO t VALUES (:w, :n)"), {"w": writer, "n": n})
        else:
            with lone() as conn:
                conn.execute("INSERT INTO t VALUES (?, ?)", (writer, n))

    assert write_at_once(write) == []
    assert count(engine) == WRITERS * EACH
