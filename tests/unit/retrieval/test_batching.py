"""Concurrent callers of a `BatchingEmbedder` share encode calls and get their own rows."""

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from bot.retrieval.batching import BatchingEmbedder, machine_threads
from bot.retrieval.embedder import HashingEmbedder


class GatedEmbedder(HashingEmbedder):
    """The hashing twin that records each call's texts and holds its first call until
    `release()`, so a test can pile callers up behind it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []
        self._gate = threading.Event()
        self._entered = threading.Event()

    def release(self) -> None:
        self._gate.set()

    def wait_until_encoding(self) -> None:
        assert self._entered.wait(10), "the first encode never started"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        self._entered.set()
        assert self._gate.wait(10), "never released"
        if any(t == "boom" for t in texts):
            raise RuntimeError("the model failed")
        return super().embed(texts)


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


def pile_up(embedder: BatchingEmbedder, inner: GatedEmbedder, questions: list[str], pool):
    """One question in the encoder, the others queued behind it; then release them all."""
    first = pool.submit(embedder.embed, [questions[0]])
    inner.wait_until_encoding()
    rest = [pool.submit(embedder.embed, [q]) for q in questions[1:]]
    wait_for(lambda: embedder.queued == len(rest), "the callers to queue")
    inner.release()
    return [f.result(10) for f in [first, *rest]]


def test_callers_waiting_behind_an_encode_are_encoded_together_in_one_call():
    inner = GatedEmbedder()
    embedder = BatchingEmbedder(inner, max_batch=32)
    questions = [f"question number {i} about invoices" for i in range(11)]
    with ThreadPoolExecutor(16) as pool:
        rows = pile_up(embedder, inner, questions, pool)

    assert inner.calls == [questions[:1], questions[1:]]
    for question, row in zip(questions, rows, strict=True):
        assert np.array_equal(row, HashingEmbedder().embed([question]))
    embedder.close()


def test_a_batch_never_exceeds_max_batch_texts():
    inner = GatedEmbedder()
    embedder = BatchingEmbedder(inner, max_batch=4)
    questions = [f"q{i}" for i in range(11)]
    with ThreadPoolExecutor(16) as pool:
        pile_up(embedder, inner, questions, pool)

    assert [len(c) for c in inner.calls] == [1, 4, 4, 2]
    assert sorted(t for c in inner.calls for t in c) == sorted(questions)
    embedder.close()


def test_a_caller_with_many_texts_gets_all_its_rows_in_order():
    embedder = BatchingEmbedder(HashingEmbedder(), max_batch=4)
    texts = [f"passage {i}" for i in range(10)]
    assert np.array_equal(embedder.embed(texts), HashingEmbedder().embed(texts))
    assert embedder.embed([]).shape[0] == 0
    embedder.close()


def test_a_failed_encode_fails_its_callers_and_the_next_batch_still_works():
    inner = GatedEmbedder()
    embedder = BatchingEmbedder(inner)
    with ThreadPoolExecutor(4) as pool:
        first = pool.submit(embedder.embed, ["fine"])
        inner.wait_until_encoding()
        doomed = [pool.submit(embedder.embed, [t]) for t in ("boom", "innocent bystander")]
        wait_for(lambda: embedder.queued == 2, "the callers to queue")
        inner.release()
        assert first.result(10).shape == (1, inner.dim)
        for future in doomed:
            with pytest.raises(RuntimeError, match="the model failed"):
                future.result(10)
    assert embedder.embed(["after the failure"]).shape == (1, inner.dim)
    embedder.close()


def test_it_keeps_the_inner_embedders_name_so_cached_vectors_are_shared():
    inner = HashingEmbedder(dim=64)
    assert BatchingEmbedder(inner).name == inner.name == "hashing-64"


def test_the_machine_threads_are_capped_by_a_container_cpu_quota(tmp_path):
    quota = tmp_path / "cpu.max"
    quota.write_text("50000 100000\n")  # half a CPU
    assert machine_threads(quota) == 1
    quota.write_text("max 100000\n")
    assert machine_threads(quota) == machine_threads(tmp_path / "no-cgroup")
