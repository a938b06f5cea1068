"""`serve --workers N`: N server processes on one port.

One process runs the bot's Python (HTTP, the Teams adapter, the turn, SQL) under one GIL.
At 32 concurrent conversations on 2 cores it held the GIL most of the time while part of a
core sat idle; two workers took the server from 72-78 to 109-126 messages a second
(`benchmarks/serve_throughput.py`). The supervisor holds the port (bound, not listening:
taken or refused once, port 0 resolved once); each worker listens on it with a socket of
its own (SO_REUSEPORT) once its index is built, and the kernel spreads new connections
evenly.

The supervisor forks the workers before any model, thread or database connection exists
(each worker loads its own model, its own connections), forwards SIGINT and SIGTERM to
them, and starts a worker again when one dies. Workers that keep dying before they listen (a
database that refuses them, a model that is not there) make it stop them all and fail: a
worker says it listens through a pipe, so a slow start on a loaded machine is not mistaken
for a good one.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType

from bot.config import Settings
from bot.errors import ConfigError
from bot.retrieval.batching import machine_threads

log = logging.getLogger(__name__)

BACKLOG = 128  # aiohttp's own
GIVE_UP_AFTER = 3  # workers in a row that died before listening, then the supervisor stops
RESTART_PAUSE = 1.0  # seconds between a worker's death and its replacement
PR_SET_PDEATHSIG = 1  # linux/prctl.h
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to `host`:`port` and listening (port 0: a free one)."""
    return _bound(host, port, shared=False, listen=True)


def reserved_port(host: str, port: int) -> socket.socket:
    """The supervisor's hold on `host`:`port` (port 0: a free one), for its workers'
    `worker_socket`s: bound, shareable, not listening (it accepts nothing itself)."""
    # A shareable socket would join another server's workers on the port: first a plain
    # one, which any server listening there refuses.
    probe = _bound(host, port, shared=False, listen=False)
    try:
        return _bound(host, probe.getsockname()[1], shared=True, listen=False)
    finally:
        probe.close()


def worker_socket(host: str, port: int) -> socket.socket:
    """A worker's own listening socket on the supervisor's port. The kernel spreads new
    connections evenly over the workers' sockets (SO_REUSEPORT); one socket accepted from
    by every worker let a busy worker take more than its share, and turns queued there
    for seconds while the other worker idled."""
    return _bound(host, port, shared=True, listen=True)


def _bound(host: str, port: int, *, shared: bool, listen: bool) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        bound = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc}") from exc
    try:
        bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if shared:
            bound.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        bound.bind(address)
        if listen:
            bound.listen(BACKLOG)
    except OSError as exc:
        bound.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return bound


def each_workers_settings(settings: Settings, workers: int, cores: int | None = None) -> Settings:
    """`settings` for one of `workers` workers: unless EMBED_THREADS says otherwise, the
    machine's cores shared out among their encoders (more threads would only wait)."""
    if workers == 1 or settings.embed_threads:
        return settings
    threads = max(1, (cores or machine_threads()) // workers)
    return settings.model_copy(update={"embed_threads": threads})


Work = Callable[[int, Callable[[], None]], None]


class Supervisor:
    """Keeps `workers` forked processes running `work(slot, listening)` until SIGINT or
    SIGTERM; a worker calls `listening()` once it accepts connections."""

    def __init__(self, workers: int, work: Work) -> None:
        self.workers = workers
        self._work = work
        # pid -> (slot, the read end of the pipe its `listening()` writes to)
        self._children: dict[int, tuple[int, int]] = {}
        self._stopping = False
        self._failed = False

    def run(self) -> int:
        """Start the workers and wait for them: 0 once they ended when asked to, 1 when
        they kept dying at start."""
        if threading.active_count() > 1:  # a forked copy would hold that thread's locks
            raise RuntimeError("the supervisor must fork before any thread starts")
        handlers = {sig: signal.signal(sig, self._stop) for sig in STOP_SIGNALS}
        try:
            for slot in range(self.workers):
                self._start(slot)
            failed_starts = 0
            while self._children:
                pid, status = os.wait()  # retried after a signal's handler (PEP 475)
                slot, said = self._children.pop(pid)
                listened = _was_listening(said)
                if self._stopping:
                    continue
                failed_starts = 0 if listened else failed_starts + 1
                _log_ending(slot, pid, status)
                if failed_starts >= GIVE_UP_AFTER:
                    log.error("workers keep dying as they start: stopping")
                    self._failed = True
                    self._stop(signal.SIGTERM, None)
                    continue
                time.sleep(RESTART_PAUSE)
                if not self._stopping:
                    self._start(slot)
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
        return 1 if self._failed else 0

    def _start(self, slot: int) -> None:
        sys.stdout.flush()
        sys.stderr.flush()  # or the worker would write what is buffered here a second time
        supervisor = os.getpid()
        said, says = os.pipe()
        # Held back until the new worker is known: a stop arriving meanwhile reaches it too.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid:
            os.close(says)  # the worker's alone: its end closes when it ends
            self._children[pid] = (slot, said)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            return
        os.close(said)
        code = 1
        try:  # the worker: it must never return into the supervisor's code
            for sig in STOP_SIGNALS:
                signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
            os.setpgid(0, 0)  # a terminal's Ctrl+C reaches the supervisor, which passes it on
            _end_with(supervisor)
            self._work(slot, _saying_once(says))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            log.exception("worker %d failed", slot)
        finally:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _stop(self, _signum: int, _frame: FrameType | None) -> None:
        self._stopping = True
        for pid in list(self._children):
            with contextlib.suppress(ProcessLookupError):  # ended already: the wait collects it
                os.kill(pid, signal.SIGTERM)


def _saying_once(says: int) -> Callable[[], None]:
    """A worker's `listening()`: one byte on its pipe, written once."""
    said = False

    def listening() -> None:
        nonlocal said
        if not said:
            os.write(says, b"1")
            os.close(says)
            said = True

    return listening


def _was_listening(said: int) -> bool:
    """Whether an ended worker had said it listens (its pipe's write end is closed now, so
    the read returns at once)."""
    try:
        return os.read(said, 1) == b"1"
    finally:
        os.close(said)


def _end_with(supervisor: int) -> None:
    """Have Linux send this worker SIGTERM when the supervisor dies (killed, it can pass
    nothing on); elsewhere a worker outlives a killed supervisor."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != supervisor:  # it died before the request was made
        raise SystemExit(1)


def _log_ending(slot: int, pid: int, status: int) -> None:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        log.warning("worker %d (pid %d) was killed by %s", slot, pid, signal.Signals(-code).name)
    else:
        log.warning("worker %d (pid %d) ended with exit status %d", slot, pid, code)
