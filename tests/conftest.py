"""Fixtures shared by every suite: the sample knowledge folder, the real corpus, settings,
and the real embedding model (loaded once per test session, for `model` tests only)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_KNOWLEDGE = ROOT / "knowledge"
# ../shared/data beside the checkout; a git worktree elsewhere names it in SHARED_DATA.
SHARED_DATA = Path(os.environ.get("SHARED_DATA") or ROOT.parent / "shared" / "data")
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
