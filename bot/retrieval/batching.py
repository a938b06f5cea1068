"""`BatchingEmbedder`: concurrent turns share one encode call.

Encoding 32 questions in one call costs a fraction of 32 calls, and several encodes at once
only fight over the same cores. So the server's turns (each in its own worker thread) put
their texts on one queue, and a single thread encodes whatever is waiting, up to
`max_batch` texts, in one call to the wrapped embedder; each caller gets its own rows back.

A question that arrives alone is encoded at once (no added latency). Only while other
questions are arriving (the last call was a batch) does the thread linger up to `max_wait`
seconds for more, so a batch is not cut short by a few microseconds.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bot.retrieval.embedder import Embedder

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Request:
    texts: Sequence[str]
    result: Future[np.ndarray] = field(default_factory=Future)


def machine_threads(cgroup: Path = Path("/sys/fs/cgroup/cpu.max")) -> int:
    """The cores this process may use: those it may run on, capped by a container's CPU
    quota (a pod limited to 1 CPU on a 16-core node gets 1; more threads than that only
    wait for each other)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    try:
        quota, period = cgroup.read_text().split()[:2]
        if quota != "max":
            cores = min(cores, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return cores


class BatchingEmbedder:
    """An `Embedder` that batches the texts of concurrent callers into one call to `inner`.

    `embed` blocks its (worker) thread until its rows are ready; call it off the event loop.
    """

    def __init__(
        self,
        inner: Embedder,
        *,
        max_batch: int = 32,
        max_wait: float = 0.003,
        threads: int | None = None,
    ) -> None:
        self.name = inner.name  # the same vectors as the inner embedder: the same cache keys
        self.inner = inner
        self.max_batch = max_batch
        self.max_wait = max_wait
        self.threads = threads or machine_threads()
        self.batches = 0  # encode calls made, and texts encoded: what batching bought
        self.texts = 0
        # CPU the encoding thread used (with more than one torch thread, not its helpers')
        self.cpu_seconds = 0.0
        self._queue: queue.SimpleQueue[_Request | None] = queue.SimpleQueue()
        self._start = threading.Lock()
        self._worker: threading.Thread | None = None
        self._torch_threads_set = False

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return self.inner.embed(texts)
        self._ensure_worker()
        request = _Request(texts)
        self._queue.put(request)
        return request.result.result()

    @property
    def queued(self) -> int:
        """Callers waiting for the next encode."""
        return self._queue.qsize()

    def close(self) -> None:
        """Stop the encoding thread once it has finished what is queued."""
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join()
            self._worker = None

    def _ensure_worker(self) -> None:
        with self._start:
            if self._worker is None:
                self._worker = threading.Thread(
                    target=self._run, name=f"embed-{self.name}", daemon=True
                )
                self._worker.start()

    def _run(self) -> None:
        busy = False  # was the last encode a batch of several callers?
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = self._gather(first, linger=busy)
            requests = [r for r in batch if r is not None]
            busy = len(requests) > 1
            self._encode(requests)
            if len(requests) < len(batch):  # close() was called meanwhile
                return

    def _gather(self, first: _Request, *, linger: bool) -> list[_Request | None]:
        batch: list[_Request | None] = [first]
        size = len(first.texts)
        deadline = time.monotonic() + (self.max_wait if linger else 0.0)
        while size < self.max_batch:
            try:
                wait = deadline - time.monotonic()
                request = self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            batch.append(request)
            if request is None:
                break
            size += len(request.texts)
        return batch

    def _encode(self, requests: list[_Request]) -> None:
        texts = [t for r in requests for t in r.texts]
        started = time.thread_time()
        try:
            vectors = self.inner.embed(texts)
        except BaseException as exc:  # every caller learns of the failure
            for r in requests:
                r.result.set_exception(exc)
            return
        finally:
            self._set_torch_threads()
            self.cpu_seconds += time.thread_time() - started
        self.batches += 1
        self.texts += len(texts)
        start = 0
        for r in requests:
            r.result.set_result(vectors[start : start + len(r.texts)])
            start += len(r.texts)

    def _set_torch_threads(self) -> None:
        """One encode at a time may use every core (torch is imported by the first encode of
        a torch model; other embedders never import it)."""
        if self._torch_threads_set or "torch" not in sys.modules:
            return
        torch = sys.modules["torch"]
        if torch.get_num_threads() != self.threads:
            log.info("torch intra-op threads: %d", self.threads)
            torch.set_num_threads(self.threads)
        self._torch_threads_set = True
