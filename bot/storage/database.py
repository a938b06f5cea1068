"""Engines and schema upgrades for the ticket store.

SQLite (the default, one file) and PostgreSQL (several replicas) behave the same to callers:

* SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
  `BEGIN IMMEDIATE`: writers queue for the lock up front instead of failing half-way with
  "database is locked" when a read lock cannot be upgraded. Read-only sessions (the
  `READ_ONLY` execution option) use a plain deferred `BEGIN`, so reads never wait on writes.
  Write transactions also queue on a lock of their own (`_Writers`): a thread lock within
  a process, a file lock beside the database across processes (`serve --workers`, the
  CLI). SQLite's busy handler sleeps 1, 2, 5, 10, ... 100 ms between tries whatever the
  writer ahead does, which made 32 concurrent turns wait far longer than their writes took.
* PostgreSQL uses psycopg 3; a bare `postgresql://` URL is mapped to it. A pooled connection
  is pinged before use only when it sat idle for a while (a round trip per checkout is
  most of a short statement's cost); one that died meanwhile is replaced.
* `single()`: one statement on its own, no BEGIN/COMMIT around it (a lone statement is its
  own transaction on both databases; a SQLite write statement takes the write lock when it
  starts, as `BEGIN IMMEDIATE` would): what the turn's read and a delivery's settling use,
  through `bot.storage.prepared`.

`upgrade()` brings the schema to the newest Alembic revision under a lock (an advisory lock on
PostgreSQL, the write lock on SQLite), so replicas starting together migrate once.
"""

from __future__ import annotations

import fcntl
import functools
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection

from bot.errors import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"
READ_ONLY = "billing_read_only"  # execution option: a read-only session on SQLite
_BUSY_TIMEOUT = 30.0  # seconds a SQLite writer waits for the lock before giving up
_MIGRATION_LOCK = 0x42494C4C  # "BILL": the PostgreSQL advisory lock key for upgrades
WRITERS_LOCK = "-writers"  # beside a SQLite file: the lock its writers take turns on
_WRITERS = "_billing_writers"  # a SQLite engine's attribute: its `_Writers`
PING_AFTER_IDLE = 1.0  # seconds a pooled PostgreSQL connection may idle before a ping
# Connections a process keeps: as many as `serve` runs turns at once (its 32 core threads).
# SQLAlchemy's default (5) made the other turns open and close a connection of their own,
# turn after turn (with SQLite's pragmas each time): at 32 concurrent conversations the
# server's CPU a message went from 18 to 14 ms (benchmarks/serve_throughput.py, on a shared
# machine). DATABASE_POOL_SIZE lowers it
# for PostgreSQL replicas that must share max_connections.
POOL_SIZE = 32
POOL_OVERFLOW = 8  # beyond it, for the dispatcher and the server's own reads


Clock = Callable[[], datetime]
# Where a store's `*_in` functions run their statements: a caller's ORM session, or the
# connection of a Core transaction (`Database.transaction`).
Executor = Session | Connection


def connection_of(where: Executor) -> Connection:
    """The connection under `where`: Core statements run there without the ORM's overhead
    (a session's pending objects are flushed first, so the statements' order is kept)."""
    if isinstance(where, Session):
        where.flush()
        return where.connection()
    return where


def utcnow() -> datetime:
    return datetime.now(UTC)


class Database:
    """One engine, one clock, and the two kinds of session every store uses.

    `write()` is one transaction (committed when the block ends, rolled back if it raises);
    the stores' `*_in(session, ...)` functions join a caller's write, which is how one turn
    commits everything it changed at once.
    """

    def __init__(self, engine: Engine, *, clock: Clock = utcnow) -> None:
        self.engine = engine
        self._reader = engine.execution_options(**{READ_ONLY: True})
        self._single = single_statement(engine)
        self.now = clock

    @classmethod
    def from_url(cls, url: str, *, clock: Clock = utcnow, pool_size: int = POOL_SIZE) -> Database:
        """Connect, creating the SQLite folder if missing, and migrate to the newest schema."""
        engine = make_engine(url, pool_size=pool_size)
        upgrade(engine)
        return cls(engine, clock=clock)

    @contextmanager
    def write(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self._reader) as session, session.begin():
            yield session

    def transaction(self) -> AbstractContextManager[Connection]:
        """`write()` without the ORM: one transaction on a connection (Core statements)."""
        return self.engine.begin()

    def single(self) -> AbstractContextManager[Connection | PoolProxiedConnection]:
        """A connection for statements that each stand alone (no transaction around them),
        for `Prepared` statements: `with db.single() as conn:`."""
        return self._single()

    def insert(self, table: Any) -> Any:
        """The dialect's INSERT (with ON CONFLICT) for `table`."""
        insert = postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert
        return insert(table)

    def close(self) -> None:
        self.engine.dispose()


def parse_url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL: {url!r}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise ConfigError(f"DATABASE_URL: unsupported database {backend!r} (sqlite or postgresql)")
    if backend == "sqlite" and parsed.database in (None, "", ":memory:"):
        raise ConfigError(
            "DATABASE_URL: an in-memory SQLite database cannot be shared by the bot's threads; "
            "use a file, e.g. sqlite:///.billing-bot/billing.db"
        )
    return parsed


def make_engine(
    url: str, *, ping_after_idle: float = PING_AFTER_IDLE, pool_size: int = POOL_SIZE
) -> Engine:
    """An engine for `url`; creates the SQLite file's folder if missing. A pooled PostgreSQL
    connection idle for `ping_after_idle` seconds is checked before it is handed out. The
    pool keeps up to `pool_size` connections open (it opens them as they are needed)."""
    parsed = parse_url(url)
    # Statement parameters (customer text) stay out of exception messages, hence out of logs.
    pooling: dict[str, Any] = {
        "pool_size": pool_size,
        "max_overflow": POOL_OVERFLOW,
        "hide_parameters": True,
    }
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(parsed, **pooling)
        event.listen(engine, "checkin", _idle_since)
        event.listen(engine, "checkout", functools.partial(_ping_if_idle, ping_after_idle))
        return engine
    assert parsed.database is not None
    Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": _BUSY_TIMEOUT}, **pooling)
    event.listen(engine, "connect", _sqlite_connect)
    writers = _Writers(Path(parsed.database + WRITERS_LOCK))
    setattr(engine, _WRITERS, writers)  # for lone write statements (`single_statement`)
    event.listen(engine, "begin", writers.begin)
    event.listen(engine, "commit", writers.commit)
    event.listen(engine, "rollback", writers.rollback)
    event.listen(engine, "reset", writers.reset)
    event.listen(engine, "invalidate", writers.invalidate)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event emit BEGIN; the driver's own would be deferred.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={int(_BUSY_TIMEOUT * 1000)}")
        _use_wal(cursor)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> None:
    """Switch a fresh file to WAL (it stays so). Switching needs the file to itself and
    SQLite does not wait for that with the busy timeout, so processes starting together
    on a new file retry here."""
    deadline = time.monotonic() + _BUSY_TIMEOUT
    while cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            if cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() == "wal":
                return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError("database is locked: cannot switch it to WAL mode")
        time.sleep(0.02)


class _Writers:
    """SQLite transactions on one engine: `BEGIN` for reads, `BEGIN IMMEDIATE` for writes,
    which take turns on a lock first: a thread lock, then an exclusive `flock` on a file
    beside the database, which writers in other processes take too (the kernel gives it
    back when a process dies). The lock is given back once the transaction has ended, so
    this end runs `COMMIT` / `ROLLBACK` itself (the driver's own commit() and rollback()
    that follow find no transaction and do nothing). A lone write statement takes the same
    turns (`single_statement(engine, writes=True)`): in SQLite's busy handler it would
    starve, as writers queued here take the lock back to back."""

    _HOLDS = "billing_writes"  # connection record info: this connection holds the lock

    def __init__(self, lock_file: Path) -> None:
        self._lock = threading.Lock()
        self._lock_file = lock_file
        self._opened: tuple[int, int] | None = None  # (pid, descriptor) of this process's

    def begin(self, conn: Connection) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            _run(conn, "BEGIN")
            return
        self._acquire()
        conn.info[self._HOLDS] = True
        try:
            _run(conn, "BEGIN IMMEDIATE")
        except BaseException:
            self._release(conn)
            raise

    def commit(self, conn: Connection) -> None:
        try:
            if _in_transaction(conn):
                _run(conn, "COMMIT")
        finally:
            # Even when COMMIT failed: the lock never outlives this transaction's end (what
            # is still open then is rolled back by the pool, and other writers meanwhile
            # wait in SQLite's busy handler as before).
            self._release(conn)

    def rollback(self, conn: Connection) -> None:
        try:
            if _in_transaction(conn):
                conn.connection.driver_connection.execute("ROLLBACK")  # type: ignore[union-attr]
        except sqlite3.Error:
            pass  # the driver's rollback() that follows tries again and reports it
        finally:
            self._release(conn)

    # A connection the pool resets (dropped without its transaction ended, say) or
    # invalidates gives the lock back too.
    def reset(self, _dbapi_connection: Any, connection_record: Any, _reset_state: Any) -> None:
        self._dropped(connection_record)

    def invalidate(self, _dbapi_connection: Any, connection_record: Any, _exception: Any) -> None:
        self._dropped(connection_record)

    def _dropped(self, record: Any) -> None:
        if record is not None and record.info.pop(self._HOLDS, False):
            self._give_back()

    def _release(self, conn: Connection) -> None:
        if conn.info.pop(self._HOLDS, False):
            self._give_back()

    @contextmanager
    def held(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            self._give_back()

    def _acquire(self) -> None:
        self._lock.acquire()
        try:
            fcntl.flock(self._descriptor(), fcntl.LOCK_EX)
        except BaseException:
            self._lock.release()
            raise

    def _give_back(self) -> None:
        try:
            fcntl.flock(self._descriptor(), fcntl.LOCK_UN)
        finally:
            self._lock.release()

    def _descriptor(self) -> int:
        """This process's own open file: a forked child (a `serve` worker) opens its own,
        as flock locks belong to an open file, which a fork shares."""
        if self._opened is None or self._opened[0] != os.getpid():
            descriptor = os.open(self._lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._opened = (os.getpid(), descriptor)
        return self._opened[1]


def _in_transaction(conn: Connection) -> bool:
    try:
        driver = conn.connection.driver_connection
    except SQLAlchemyError:  # closed or invalidated: no transaction left to end here
        return False
    return driver is not None and bool(driver.in_transaction)


def _run(conn: Connection, statement: str) -> None:
    # On the driver: every transaction pays this, and `exec_driver_sql` costs ten times it.
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        driver.execute(statement)
    except sqlite3.Error as exc:  # raised as `exec_driver_sql` would (e.g. OperationalError)
        raise DBAPIError.instance(statement, (), exc, sqlite3.Error) from exc


def single_statement(
    engine: Engine, *, writes: bool = False
) -> Callable[[], AbstractContextManager[Connection | PoolProxiedConnection]]:
    """Connections for statements that stand alone: in autocommit on PostgreSQL (no
    BEGIN/COMMIT round trips); on SQLite, whose driver runs outside transactions here, the
    pooled driver connection itself (what a `Connection` adds around it costs more than the
    statement), held with the writers' lock when the statements `writes`."""
    if engine.dialect.name == "postgresql":
        return functools.partial(_autocommitting, engine)
    writers: _Writers | None = getattr(engine, _WRITERS, None)
    if writes and writers is not None:
        return functools.partial(_writing, engine, writers)
    return lambda: closing(engine.raw_connection())


@contextmanager
def _writing(engine: Engine, writers: _Writers) -> Iterator[PoolProxiedConnection]:
    # The connection first, then the lock, as a transaction takes them: a writer holding
    # the lock never waits for a connection that a writer waiting for the lock holds.
    with closing(engine.raw_connection()) as pooled, writers.held():
        yield pooled


@contextmanager
def _autocommitting(engine: Engine) -> Iterator[PoolProxiedConnection]:
    """A pooled psycopg connection in autocommit mode while it is lent (the driver's own
    switch: no round trip), back in transaction mode when it returns to the pool."""
    pooled = engine.raw_connection()
    driver = pooled.driver_connection
    assert driver is not None
    try:
        driver.autocommit = True
        yield pooled
    finally:
        try:
            if not driver.closed:
                driver.autocommit = False
        finally:
            pooled.close()


def _idle_since(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(after: float, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Check a connection that idled (the server may have restarted meanwhile); a dead one
    is replaced by the pool. A busy pool's connections are never idle long: no round trip."""
    if time.monotonic() - record.info.get("idle_since", time.monotonic()) < after:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        dbapi_connection.rollback()
    except Exception as exc:
        raise DisconnectionError(f"pooled connection is gone: {exc}") from exc


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision`, the newest by default (a no-op when it is there
    already)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    with engine.connect() as conn, conn.begin():
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
