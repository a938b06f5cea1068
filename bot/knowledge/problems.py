"""A problem found in a knowledge file, printed as `path:line: message` (an imported
export's: `path:line:column: message`)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    FATAL = "fatal"  # a whole file customers depend on is lost: serving would mislead them
    ERROR = "error"  # the file (or a record in it) could not be used
    WARNING = "warning"  # skipped or suspicious, but the folder still works


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    message: str
    severity: Severity = Severity.ERROR
    column: int | None = None  # 1-based, when a column is at fault

    def __str__(self) -> str:
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        where = f"{self.path}:{self.line}" + (f":{self.column}" if self.column else "")
        return f"{where}: {prefix}{self.message}"


class FileRejected(Exception):
    """Raised by a parser when a file cannot be used at all (not one record of it): the
    loader turns it into a problem, fatal for the files customers' answers depend on."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message
