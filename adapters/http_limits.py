"""Bounds on what any request may send, and one log line for each request refused.

`MAX_BODY_BYTES` is the server's `client_max_size`: reading a longer body raises aiohttp's
413, which `log_refusals` turns into one log line (the handler never sees the body).
`one_line_protocol_errors` does the same for requests that are not valid HTTP (a control
character in a header, say), which aiohttp itself answers 400 and logs with a traceback.
`refuse(...)` is how an endpoint turns down a malformed or unauthenticated request: a JSON
error, and one log line naming the path, the status and the reason, never a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Bot Framework activities stay under 256 KB, Slack's under 1 MB
MAX_REASON = 160  # characters of a reason that reach the log


def refuse(
    request: web.Request,
    status: int,
    reason: str,
    *,
    detail: str = "",
    retry_after: int | None = None,
) -> web.Response:
    """A 4xx/503 JSON answer with `reason`; the log line adds `detail` (what exactly)."""
    said = f"{reason}: {detail}" if detail else reason
    log.warning("refused %s %s: %d %s", request.method, request.path, status, one_line(said))
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return web.json_response({"error": reason}, status=status, headers=headers)


def one_line(text: str) -> str:
    """`text` safe for a single log line: no line breaks, bounded length."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= MAX_REASON else flat[: MAX_REASON - 1] + "…"


@web.middleware
async def log_refusals(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPRequestEntityTooLarge as exc:
        log.warning("refused %s %s: %d %s", request.method, request.path, exc.status, exc.reason)
        raise


class _OneLineProtocolErrors(logging.Filter):
    """Rewrites aiohttp's "Error handling request" record for an unparsable request."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else "?"
            record.msg = "refused a request that is not valid HTTP from %s: %s %s"
            record.args = (remote, error.code, one_line(error.message))
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


async def one_line_protocol_errors(_app: web.Application) -> AsyncIterator[None]:
    """A `cleanup_ctx`: while the app runs, aiohttp's parse errors are one log line each."""
    server_log = logging.getLogger("aiohttp.server")
    quiet = _OneLineProtocolErrors()
    server_log.addFilter(quiet)
    yield
    server_log.removeFilter(quiet)
