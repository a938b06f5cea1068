"""`Prepared`: a Core statement compiled once for a dialect, run on the driver's cursor.

Every turn runs the same handful of short statements (its read, the event's mark, the state,
the reply's outbox row, its settling). On SQLite, what `Connection.execute` does around each
one (the compiled-cache lookup, an execution context, result metadata, events) costs about
ten times the statement itself (measured: ~80 us vs ~8 us for the turn's read). `Prepared`
does that work once. What it keeps from `Connection.execute`:

* the SQL: compiled by SQLAlchemy from the models, for the connection's dialect;
* the values: bound and read back through the columns' own type processors (UTC datetimes,
  JSON), so they are exactly what `Connection.execute` would bind and return;
* the errors: a driver error is raised as SQLAlchemy's (`IntegrityError`, ...), and a lost
  connection is invalidated, as `Connection.execute` does.

A `text()` statement (no typed columns) gives the driver's rows as they are, as
`Connection.execute` does for it.

It runs on the caller's `Connection`, inside whatever transaction that connection is in.
Statement events (`before_cursor_execute`) do not fire for it. Parameters are named by the
statement's `bindparam`s; an expanding `IN` is not supported (write `!=` or a join).
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

Processor = Callable[[Any], Any]


class Prepared:
    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("Prepared statements cannot expand IN lists or render literals")
        self.sql = compiled.string
        self._dialect = dialect
        # One slot per parameter, in the order the driver takes them: the caller's key (None
        # for a value written in the statement, bound once here) and its type's processor.
        slots: dict[str, tuple[str | None, Any, Processor | None]] = {}
        for bind, name in compiled.bind_names.items():
            binder = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.required:
                slots[name] = (bind.key, None, binder)
            else:
                value = bind.effective_value
                slots[name] = (None, value if binder is None else binder(value), None)
        self._named = compiled.positiontup is None  # pyformat (psycopg), else qmark (SQLite)
        order = list(slots) if self._named else compiled.positiontup
        assert order is not None
        self._names = order
        self._slots = [slots[name] for name in order]
        # A `text()` statement has no typed columns: its rows are the driver's values.
        columns = list(getattr(statement, "exported_columns", ()))
        self._typed = bool(columns)
        self._readers: list[Processor | None] = [
            column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
        ]
        self._row = namedtuple("Row", [column.key for column in columns])  # type: ignore[misc]

    def run(self, conn: Connection | PoolProxiedConnection, params: Mapping[str, Any]) -> list[Any]:
        """Execute on `conn`'s driver connection (`conn`: a `Connection`, or a pooled driver
        connection); the rows (named tuples), if any."""
        values = self._values(params)
        pooled = conn if isinstance(conn, PoolProxiedConnection) else conn.connection
        dbapi = pooled.dbapi_connection
        assert dbapi is not None
        cursor = dbapi.cursor()
        try:
            cursor.execute(self.sql, values)
            rows = cursor.fetchall() if cursor.description else []
        except self._dialect.loaded_dbapi.Error as exc:
            invalidated = self._dialect.is_disconnect(exc, dbapi, cursor)
            if invalidated:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                self.sql,
                values,
                exc,
                self._dialect.loaded_dbapi.Error,
                connection_invalidated=invalidated,
                dialect=self._dialect,
            ) from exc
        finally:
            cursor.close()
        if not self._typed:
            return list(rows)
        readers = self._readers
        return [
            self._row(
                *(
                    value if read is None or value is None else read(value)
                    for read, value in zip(readers, row, strict=True)
                )
            )
            for row in rows
        ]

    def _values(self, params: Mapping[str, Any]) -> Any:
        values = []
        for key, value, binder in self._slots:
            if key is not None:
                value = params[key]
                if binder is not None:
                    value = binder(value)
            values.append(value)
        return dict(zip(self._names, values, strict=True)) if self._named else tuple(values)
