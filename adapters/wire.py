"""Read an untrusted request body into plain JSON values, within fixed bounds.

Both channels' endpoints go through `parse_json` after their authentication check and
before any SDK sees the body: whatever arrives, the result is either plain JSON (dicts,
lists, strings, finite numbers, booleans, None) no deeper than `MAX_DEPTH`, with every
string encodable as UTF-8, or a `MalformedBody` naming what is wrong. The body's size is
bounded before this by the server (`adapters.http_limits.MAX_BODY_BYTES`).
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 32  # Bot Framework activities and Slack payloads nest well under 10 levels


class MalformedBody(ValueError):
    """The body is not JSON this server will read; the message says why (one line)."""


def parse_json(raw: bytes | str) -> Any:
    """`raw` as JSON values, or `MalformedBody`."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise MalformedBody(f"body is not UTF-8 (byte {exc.start})") from None
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except MalformedBody:
        raise
    except RecursionError:
        raise MalformedBody(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, and integers too long to convert
        raise MalformedBody(f"body is not valid JSON: {_first_line(exc)}") from None
    check_plain(value)
    return value


def check_plain(value: Any) -> None:
    """`MalformedBody` if `value` nests deeper than `MAX_DEPTH` or holds a string that is not
    valid Unicode (a lone surrogate, which JSON's `\\ud800` escapes can produce)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, dict):
            children = [*node.keys(), *node.values()]
        elif isinstance(node, list):
            children = node
        elif isinstance(node, str):
            _check_text(node)
            continue
        else:
            continue
        if depth > MAX_DEPTH:
            raise MalformedBody(f"JSON nested deeper than {MAX_DEPTH} levels")
        pending.extend((child, depth + 1) for child in children)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedBody(f"a string holds a lone surrogate at {exc.start}") from None


def _refuse_constant(name: str) -> Any:
    raise MalformedBody(f"{name} is not a JSON number")


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
