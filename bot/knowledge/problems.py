"""A problem found in a knowledge file, printed as `path:line: message`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"  # the file (or a record in it) could not be used
    WARNING = "warning"  # skipped or suspicious, but the folder still works


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    line: int
    message: str
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{self.path}:{self.line}: {prefix}{self.message}"
