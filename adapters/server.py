"""The one aiohttp application every channel is mounted on, and its background work.

    build_app(settings, assistant, mounts=default_mounts(settings))
      GET  /healthz          liveness: up (200) or down (503, the dispatcher stopped), no more
      GET  /readyz           readiness: 200 once the model is loaded and the bot can answer
      GET  /healthz/details  the dispatcher, channels, knowledge folder (stale, withheld, ...)
      GET  /metrics          counters in the Prometheus text format
The last two are the operator's: METRICS_TOKEN as a bearer token, or loopback only
(`adapters.ops`).
      POST /api/messages     Teams (adapters.teams.mount)
      ...                    whatever other mounts add (Slack: /slack/events)

A *mount* is `mount(app, context) -> channels`: it adds its routes (and, if it needs them,
its own startup/cleanup through `app.cleanup_ctx`) and returns the `bot.channel.Channel`s
it delivers for. The server runs one outbox `Dispatcher` over all of them as a background
task, stopped cleanly on shutdown.

The core is synchronous: `context.run_core(fn, *args)` runs a core call in a small thread
pool (so the event loop keeps serving) and then nudges the dispatcher, so what the call
queued (a new ticket for the agents, say) goes out at once instead of at the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web

from adapters import ops
from adapters.http_limits import MAX_BODY_BYTES, log_refusals, one_line_protocol_errors
from bot.channel import Channel
from bot.collections.daily import run_daily
from bot.collections.run import Reminders
from bot.config import Settings
from bot.delivery.dispatcher import Dispatcher
from bot.reload import KnowledgeReloader, watch
from bot.report.weekly import queue_week, run_weekly

if TYPE_CHECKING:
    from bot.app import Assistant

log = logging.getLogger(__name__)

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Turns in the core at once. Most of a turn's time is spent waiting for the shared encoder
# (`BatchingEmbedder`), whose batches can only be as large as the turns waiting for it.
CORE_THREADS = 32
SHUTDOWN_GRACE = 10.0  # seconds the dispatcher gets to finish its round on shutdown


class Metrics:
    """Monotonic counters with labels; rendered in the Prometheus text format."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}

    def inc(self, name: str, amount: int = 1, **labels: str) -> None:
        key = (name, tuple(sorted((k, str(v)) for k, v in labels.items())))
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + amount

    def value(self, name: str, **labels: str) -> int:
        key = (name, tuple(sorted((k, str(v)) for k, v in labels.items())))
        with self._lock:
            return self._counts.get(key, 0)

    def render(self) -> str:
        with self._lock:
            items = sorted(self._counts.items())
        lines: list[str] = []
        typed: set[str] = set()
        for (name, labels), count in items:
            if name not in typed:
                typed.add(name)
                lines.append(f"# TYPE {name} counter")
            lines.append(f"{name}{_labels(labels)} {count}")
        return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class ServerContext:
    """What a mount gets: the settings, the core, a way to call it, and the counters."""

    settings: Settings
    assistant: Assistant
    run_core: Callable[..., Awaitable[Any]]
    metrics: Metrics


Mount = Callable[[web.Application, ServerContext], Sequence[Channel]]

CONTEXT = web.AppKey("context", ServerContext)
CHANNELS = web.AppKey[dict[str, Channel]]("channels")
DISPATCHER = web.AppKey("dispatcher", Dispatcher)
DISPATCHER_TASK = web.AppKey("dispatcher_task", asyncio.Task)
RELOADER = web.AppKey("reloader", KnowledgeReloader)
READY = web.AppKey("ready", asyncio.Event)


def default_mounts(settings: Settings) -> list[Mount]:
    """Teams always (local mode without an app id); Slack, which mounts nothing without a
    SLACK_BOT_TOKEN."""
    from adapters.slack.mount import slack_mount
    from adapters.teams.mount import teams_mount

    return [teams_mount(), slack_mount()]


def build_app(
    settings: Settings,
    assistant: Assistant,
    *,
    mounts: Sequence[Mount] | None = None,
    dispatch: bool = True,
    core_threads: int = CORE_THREADS,
    dispatcher_options: dict[str, Any] | None = None,
    watch_knowledge: bool = False,
) -> web.Application:
    """The application; `dispatch=False` leaves the outbox alone (tests drive it by hand);
    `watch_knowledge=True` reloads the knowledge folder when it changes."""
    app = web.Application(
        middlewares=[_count_requests, log_refusals], client_max_size=MAX_BODY_BYTES
    )
    metrics = Metrics()
    executor = ThreadPoolExecutor(max_workers=core_threads, thread_name_prefix="core")

    async def run_core(fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(executor, functools.partial(fn, *args))
        finally:
            dispatcher = app.get(DISPATCHER)
            if dispatcher is not None:
                dispatcher.wake()

    context = ServerContext(settings, assistant, run_core, metrics)
    app[CONTEXT] = context
    app[CHANNELS] = _mount(app, context, default_mounts(settings) if mounts is None else mounts)

    app[RELOADER] = KnowledgeReloader(settings, assistant)
    if watch_knowledge:
        app.cleanup_ctx.append(_watching_knowledge)
    app[READY] = asyncio.Event()
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/readyz", _readyz)
    app.router.add_get("/healthz/details", _operator_only(_health_details))
    app.router.add_get("/metrics", _operator_only(_metrics))

    async def executor_lifetime(_app: web.Application) -> AsyncIterator[None]:
        yield
        executor.shutdown(wait=True, cancel_futures=True)

    app.cleanup_ctx.append(executor_lifetime)
    app.cleanup_ctx.append(one_line_protocol_errors)
    app.cleanup_ctx.append(_warming)
    if dispatch:
        app.cleanup_ctx.append(functools.partial(_dispatching, options=dispatcher_options or {}))
    if settings.collections:
        app.cleanup_ctx.append(_collecting)
    if settings.report_weekly:
        app.cleanup_ctx.append(_reporting)
    return app


def _mount(
    app: web.Application, context: ServerContext, mounts: Sequence[Mount]
) -> dict[str, Channel]:
    """Each mount's routes on `app`; the channels they deliver for, by name (one mount each)."""
    channels: dict[str, Channel] = {}
    for mount in mounts:
        for channel in mount(app, context):
            if channel.name in channels:
                raise ValueError(f"two mounts deliver for channel {channel.name!r}")
            channels[channel.name] = channel
    return channels


async def _reporting(app: web.Application) -> AsyncIterator[None]:
    """The weekly post of the resolution report (REPORT_WEEKLY=true, Monday at REPORT_AT):
    queued in the outbox for the escalations channel, once per week."""
    context = app[CONTEXT]
    assistant, settings = context.assistant, context.settings

    def queue(monday: date) -> bool:
        knowledge = assistant.knowledge
        names = {r.id: r.name_in(settings.agent_language) for r in knowledge.rules.routes.values()}
        return queue_week(assistant.storage, monday, knowledge.partner.support.timezone, names)

    stop = asyncio.Event()
    task = asyncio.create_task(
        run_weekly(
            queue,
            settings.report_at,
            lambda: assistant.knowledge.partner.support,
            assistant.clock,
            context.run_core,
            stop,
        ),
        name="weekly-report",
    )
    log.info("weekly report: posted on Mondays at %s", settings.report_at)
    yield
    await _stopped(task, stop)


async def _collecting(app: web.Application) -> AsyncIterator[None]:
    """The daily collections run (COLLECTIONS=true, at COLLECTIONS_AT): reminders and the
    agents' digest are queued in the outbox, which the dispatcher delivers."""
    context = app[CONTEXT]
    assistant = context.assistant
    # The agents' digest goes out with the run when Slack is set up (nobody to read it else).
    slack = bool(context.settings.slack_bot_token.get_secret_value())
    reminders = Reminders(assistant.storage, lambda: assistant.knowledge, digest=slack)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_daily(
            reminders, context.settings.collections_at, assistant.clock, context.run_core, stop
        ),
        name="collections",
    )
    log.info("collections: reminders run daily at %s", context.settings.collections_at)
    yield
    await _stopped(task, stop)


async def _stopped(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    """Shut a background loop down: set its `stop`, give it SHUTDOWN_GRACE to finish what it
    is doing, cancel it past that."""
    stop.set()
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=SHUTDOWN_GRACE)
    except TimeoutError:
        log.warning("%s did not stop within %.0fs; cancelling it", task.get_name(), SHUTDOWN_GRACE)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _dispatching(app: web.Application, *, options: dict[str, Any]) -> AsyncIterator[None]:
    # (Read into names first: mypy infers an AppKey's type from the call it is passed to.)
    context, channels = app[CONTEXT], app[CHANNELS]
    window = context.settings.outbox_window_hours * 3600
    dispatcher = Dispatcher(
        context.assistant.storage.outbox, channels, **{"window": window, **options}
    )
    stop = asyncio.Event()
    app[DISPATCHER] = dispatcher
    task = asyncio.create_task(dispatcher.run_forever(stop), name="outbox-dispatcher")
    app[DISPATCHER_TASK] = task
    log.info("outbox dispatcher delivering for: %s", ", ".join(sorted(channels)) or "-")
    yield
    log.info("stopping the outbox dispatcher")
    stop.set()
    dispatcher.wake()  # now, not at its next poll
    await _stopped(task, stop)


async def _watching_knowledge(app: web.Application) -> AsyncIterator[None]:
    """Reload the knowledge folder (in the core pool) whenever it changes."""
    context, reloader = app[CONTEXT], app[RELOADER]
    stop = asyncio.Event()
    folder = context.settings.knowledge_dir
    task = asyncio.create_task(
        watch(folder, lambda: context.run_core(reloader.reload), stop), name="knowledge-watch"
    )
    yield
    stop.set()
    with contextlib.suppress(asyncio.CancelledError, TimeoutError):
        await asyncio.wait_for(task, timeout=SHUTDOWN_GRACE)


async def _warming(app: web.Application) -> AsyncIterator[None]:
    """Load the model in the background: /healthz answers at once, /readyz once it is in."""
    context = app[CONTEXT]

    async def warm_up() -> None:
        started = asyncio.get_running_loop().time()
        try:
            await context.run_core(context.assistant.warm_up)
        except Exception:
            log.exception("warm-up failed: /readyz stays 503")
            return
        app[READY].set()
        log.info("ready to answer (warm-up %.1fs)", asyncio.get_running_loop().time() - started)

    task = asyncio.create_task(warm_up(), name="warm-up")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _readyz(request: web.Request) -> web.Response:
    """For a load balancer: send traffic here only once this is 200."""
    ready = request.app[READY].is_set()
    return web.json_response(
        {"status": "ready" if ready else "starting"}, status=200 if ready else 503
    )


def _operator_only(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        token = request.app[CONTEXT].settings.metrics_token.get_secret_value()
        refused = ops.refusal(request, token)
        return refused if refused is not None else await handler(request)

    return guarded


def _dispatcher_state(app: web.Application) -> str:
    task = app.get(DISPATCHER_TASK)
    if task is None:
        return "off"
    return "stopped" if task.done() else "running"


async def _healthz(request: web.Request) -> web.Response:
    """For anyone (a liveness probe): up or down, nothing else."""
    healthy = _dispatcher_state(request.app) != "stopped"
    return web.json_response(
        {"status": "ok" if healthy else "down"}, status=200 if healthy else 503
    )


async def _health_details(request: web.Request) -> web.Response:
    dispatcher = _dispatcher_state(request.app)
    healthy = dispatcher != "stopped"
    channels = request.app[CHANNELS]  # (a name first: mypy reads an AppKey from its use)
    body = {
        "status": "ok" if healthy else "degraded",
        "dispatcher": dispatcher,
        "channels": sorted(channels),
        "knowledge": request.app[RELOADER].status.to_json(),  # stale: a change not loaded
    }
    return web.json_response(body, status=200 if healthy else 503)


async def _metrics(request: web.Request) -> web.Response:
    context = request.app[CONTEXT]
    text = context.metrics.render()
    try:
        text += await context.run_core(_outbox_metrics, context.assistant)
    except Exception as exc:  # the database is down: say so, keep the counters
        log.warning("outbox figures unavailable: %s", exc)
    text += _encoder_metrics(context.assistant)
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


def _outbox_metrics(assistant: Assistant) -> str:
    """The outbox's rows by status, and the age of the oldest message not delivered yet
    (pending or held): alert when it grows (a platform down, a dispatcher stopped)."""
    outbox = assistant.storage.outbox
    counts = outbox.counts()
    backlog = outbox.backlog(assistant.storage.db.now())
    oldest = 0.0 if backlog.oldest_seconds is None else round(backlog.oldest_seconds, 3)
    return (
        "# TYPE outbox_rows gauge\n"
        + "".join(
            f'outbox_rows{{status="{status}"}} {count}\n'
            for status, count in sorted(counts.items())
        )
        + "# TYPE outbox_oldest_undelivered_seconds gauge\n"
        + f"outbox_oldest_undelivered_seconds {oldest}\n"
    )


def _encoder_metrics(assistant: Assistant) -> str:
    """What the shared encoder did: its calls, the questions they held (texts / batches is
    the batch size bought), and the CPU its thread used (with one torch thread, all the
    encoding's CPU)."""
    from bot.retrieval.batching import BatchingEmbedder

    encoder = assistant.answerer.index.embedder
    if not isinstance(encoder, BatchingEmbedder):
        return ""
    return "".join(
        f"# TYPE {name} counter\n{name} {value}\n"
        for name, value in (
            ("encoder_batches_total", encoder.batches),
            ("encoder_texts_total", encoder.texts),
            ("encoder_cpu_seconds_total", round(encoder.cpu_seconds, 6)),
        )
    )


@web.middleware
async def _count_requests(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    # The route's pattern, not the raw path, so random paths cannot grow the counter set.
    route = request.match_info.route.resource
    path = route.canonical if route is not None else "unmatched"
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _count(request, path, exc.status)
        raise
    except Exception:
        _count(request, path, 500)
        raise
    _count(request, path, response.status)
    return response


def _count(request: web.Request, path: str, status: int) -> None:
    context = request.app.get(CONTEXT)
    if context is not None:
        context.metrics.inc("http_requests_total", path=path, status=str(status))


def _labels(labels: tuple[tuple[str, str], ...]) -> str:
    if not labels:
        return ""
    escaped = (
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in labels
    )
    return "{" + ",".join(escaped) + "}"


def serve(settings: Settings, assistant: Assistant, *, sock: socket.socket) -> None:
    """Serve on the listening `sock` until SIGINT/SIGTERM; shutdown stops the dispatcher
    cleanly."""
    app = build_app(settings, assistant, dispatch=settings.run_dispatcher, watch_knowledge=True)
    web.run_app(app, sock=sock, print=None, access_log=None)
