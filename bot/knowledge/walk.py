"""Which entries of a knowledge folder may be read, and why the others are refused.

The folder never reaches outside itself: a symlink is followed only when it resolves to a
regular file inside the folder (and not to a hidden one, such as `.env`); links out of it
(`/etc/passwd`, `../.env`), broken links and link loops are refused with their path. A
hard link cannot say where its other names are (`/etc/shadow`, a file of another tenant's
folder), so a file with more than one (`st_nlink > 1`) is refused the same way; `cp` it.
FIFOs, sockets and devices are never opened (reading a FIFO would block start-up), and a
folder named like a file (`invoices.csv/`: what a Docker bind mount of a missing file
creates) is reported instead of walked. Hidden entries (`.git`, `.env`) are ignored.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from bot.knowledge.problems import Problem, Severity

NAMED_LIKE_FILES = (".md", ".markdown", ".yaml", ".yml", ".csv")


@dataclass(frozen=True, slots=True)
class Entry:
    relative: str  # posix path inside the folder: what problems and citations name
    path: Path  # where to read it: the file itself, or the in-folder target of a link


def walk(root: Path) -> tuple[list[Entry], list[Problem]]:
    """Every regular file in `root` that may be read, in name order, and a problem for each
    entry that may not."""
    entries: list[Entry] = []
    problems: list[Problem] = []
    _walk_folder(root, Path(os.path.realpath(root)), "", entries, problems)
    return entries, problems


def _walk_folder(
    folder: Path, real_root: Path, prefix: str, entries: list[Entry], problems: list[Problem]
) -> None:
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        where = prefix.rstrip("/") or "."
        problems.append(Problem(where, 1, f"folder cannot be read: {_why(exc)}"))
        return
    for name in names:
        if not name.startswith("."):
            _walk_entry(folder / name, f"{prefix}{name}", real_root, entries, problems)


def _walk_entry(
    path: Path, relative: str, real_root: Path, entries: list[Entry], problems: list[Problem]
) -> None:
    """One folder entry: a file to read, a folder to walk, or a problem."""
    try:
        info = os.lstat(path)
    except OSError as exc:  # removed while we walk, or not ours to see
        problems.append(Problem(relative, 1, f"cannot be read: {_why(exc)}; skipped"))
        return
    mode = info.st_mode
    if stat.S_ISLNK(mode):
        found = _follow_link(path, relative, real_root)
        if isinstance(found, Problem):
            problems.append(found)
        else:
            entries.append(found)
    elif stat.S_ISDIR(mode):
        if path.name.lower().endswith(NAMED_LIKE_FILES):
            why = "is a folder, not a file (a bind mount of a missing file?)"
            problems.append(Problem(relative, 1, why))
        else:
            _walk_folder(path, real_root, f"{relative}/", entries, problems)
    elif stat.S_ISREG(mode):
        if info.st_nlink > 1:
            problems.append(_hard_link(relative, info.st_nlink))
        else:
            entries.append(Entry(relative, path))
    else:
        problems.append(Problem(relative, 1, f"is a {_kind(mode)}, not a file; skipped"))


def _follow_link(path: Path, relative: str, real_root: Path) -> Entry | Problem:
    shown = _link_text(path)
    try:
        info = os.stat(path)  # follows the link, and every link after it
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Problem(relative, 1, f"symlink loop ({shown}); skipped")
        if exc.errno == errno.ENOENT:
            return Problem(relative, 1, f"broken symlink to {shown}; skipped")
        return Problem(relative, 1, f"symlink to {shown} cannot be followed: {_why(exc)}")
    mode = info.st_mode
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(real_root):
        return Problem(
            relative, 1, f"symlink to {shown}, outside the knowledge folder: refused, never loaded"
        )
    inside = target.relative_to(real_root)
    if any(part.startswith(".") for part in inside.parts):
        return Problem(relative, 1, f"symlink to the hidden file {shown}: refused, never loaded")
    if stat.S_ISDIR(mode):
        return Problem(
            relative,
            1,
            f"symlink to the folder {inside.as_posix()}: not followed (its files load from "
            "where they are)",
            Severity.WARNING,
        )
    if not stat.S_ISREG(mode):
        return Problem(relative, 1, f"symlink to a {_kind(mode)}, not a file; skipped")
    if info.st_nlink > 1:
        return _hard_link(relative, info.st_nlink)
    return Entry(relative, target)


def _hard_link(relative: str, names: int) -> Problem:
    return Problem(
        relative,
        1,
        f"a hard link ({names} names for one file; the others may be outside the knowledge "
        "folder): refused, never loaded; copy the file instead",
    )


def _link_text(path: Path) -> str:
    try:
        return repr(os.readlink(path))
    except OSError:
        return "an unreadable target"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file"
    return "special file"


def _why(exc: OSError) -> str:
    return exc.strerror or exc.__class__.__name__
