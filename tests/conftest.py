"""Fixtures shared by every suite: the sample knowledge folder, the real corpus, settings,
the real embedding model (loaded once per test session, for `model` tests only), and an
embedder that fails once on demand (a turn's transient error)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from bot.config import Settings, load_settings
from bot.retrieval.embedder import HashingEmbedder

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_KNOWLEDGE = ROOT / "knowledge"


REQUIRED_FILES = ("customers.yaml", "invoices.csv", "partner.yaml", "escalation.yaml")


def complete_folder(dest: Path, *, without: tuple[str, ...] = ()) -> Path:
    """A folder at `dest` with the sample folder's customers, invoices, partner and
    escalation files (losing any of them is fatal) and no article; those named in `without`
    left out. Tests then add or change what they are about."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in REQUIRED_FILES:
        if name not in without:
            shutil.copyfile(SAMPLE_KNOWLEDGE / name, dest / name)
    return dest


# Beside the checkout (../shared/data); a worktree (../wt/<name>) finds it further up.
SHARED_DATA = next(
    (up / "shared" / "data" for up in ROOT.parents if (up / "shared" / "data").is_dir()),
    ROOT.parent / "shared" / "data",
)
CORPUS = SHARED_DATA / "partner-center-docs"
# A Tuesday afternoon in Amsterdam, inside support hours; the sample invoices are dated for it.
NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(knowledge_dir=SAMPLE_KNOWLEDGE, data_dir=tmp_path / "state")


@pytest.fixture(scope="session")
def real_embedder():
    from bot.retrieval.embedder import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder()


class FlakyEmbedder(HashingEmbedder):
    """The hashing twin; `fail_next()` makes its next call raise, as a model server timing
    out once would."""

    def __init__(self) -> None:
        super().__init__()
        self.failing = False

    def fail_next(self) -> None:
        self.failing = True

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self.failing:
            self.failing = False
            raise TimeoutError("embedding server did not answer")
        return super().embed(texts)


@pytest.fixture
def flaky_embedder() -> FlakyEmbedder:
    return FlakyEmbedder()
