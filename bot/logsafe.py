"""`loggable(error)`: an exception as it may be logged, without the values it quotes.

A database error's message goes on to quote the statement's values (PostgreSQL's `DETAIL:
Key (...)=(...)`, the driver's message) and so the customer's words; the chained driver
error repeats them. Logged instead: the error's type, the first line of its message (what
went wrong: "duplicate key value violates unique constraint ..."), and its traceback.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import StatementError

__all__ = ["LoggedError", "loggable"]

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class LoggedError(Exception):
    """Stands in for an error in a log record."""


def loggable(error: BaseException) -> ExcInfo:
    """`exc_info` for `log.error(..., exc_info=loggable(error))`."""
    if not isinstance(error, StatementError):
        return type(error), error, error.__traceback__
    cause = error.orig if error.orig is not None else error
    first = str(cause).split("\n", 1)[0].strip()[:300]
    stand_in = LoggedError(f"{type(error).__name__} ({type(cause).__name__}): {first}")
    stand_in.__suppress_context__ = True  # the chain would quote the values again
    return LoggedError, stand_in, error.__traceback__
