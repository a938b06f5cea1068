"""The knowledge folder is reloaded while serving: a good change swaps knowledge, index and
answerer at once (embedding only what changed); a broken change keeps the last good
snapshot and says so. Real files in a temporary folder, the deterministic embedder."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.app import Assistant, build_assistant
from bot.config import Settings
from bot.reload import KnowledgeReloader, watch
from bot.retrieval.embedder import HashingEmbedder
from bot.types import Message
from tests.conftest import NOW, SAMPLE_KNOWLEDGE

FABRIKAM_TENANT = "773b8029-5aa8-44f9-ac6b-dd386c30c50f"
ARTICLE = "articles/payment-methods-and-terms.md"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return shutil.copytree(SAMPLE_KNOWLEDGE, tmp_path / "knowledge")


@pytest.fixture
def assistant(settings: Settings, folder: Path) -> Assistant:
    settings = settings.model_copy(update={"knowledge_dir": folder})
    return build_assistant(settings, embedder=HashingEmbedder(), clock=lambda: NOW)


@pytest.fixture
def reloader(assistant: Assistant) -> KnowledgeReloader:
    return KnowledgeReloader(assistant.settings, assistant)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def owes(assistant: Assistant) -> str:
    message = Message("How much do we owe?", "teams", "c1", "u1", tenant_id=FABRIKAM_TENANT)
    return assistant.handle(message).text


def test_a_good_change_is_served_and_only_what_changed_is_embedded(assistant, reloader, folder):
    before = assistant.answerer
    edit(folder / ARTICLE, "payable within 30 days", "payable within 14 days")

    status = reloader.reload()

    assert not status.stale and status.error is None
    assert assistant.answerer is not before
    assert any("within 14 days" in p.text for p in assistant.knowledge.passages)
    stats = assistant.answerer.index.stats
    assert 1 <= stats.embedded <= 2 < stats.passages  # that passage (and at most its heading)


def test_a_broken_change_keeps_the_last_good_snapshot_and_says_why(assistant, reloader, folder):
    before, loaded_at = assistant.answerer, reloader.status.loaded_at
    edit(folder / "customers.yaml", "    name: Contoso Ltd", "   name: Contoso Ltd")

    status = reloader.reload()

    assert assistant.answerer is before  # still serving every customer
    assert status.stale and status.loaded_at == loaded_at
    assert "customers.yaml:" in status.error and "every customer will be refused" in status.error
    assert owes(assistant).startswith("Your outstanding balance")

    edit(folder / "customers.yaml", "   name: Contoso Ltd", "    name: Contoso Ltd")
    fixed = reloader.reload()
    assert not fixed.stale and fixed.error is None and assistant.answerer is not before


@pytest.mark.parametrize("change", ["removed", "header only"])
def test_invoices_lost_by_a_change_keep_the_last_good_snapshot(assistant, reloader, folder, change):
    before = assistant.answerer
    invoices = folder / "invoices.csv"
    header = invoices.read_text().splitlines(True)[0]
    if change == "removed":
        invoices.unlink()
    else:
        invoices.write_text(header)

    status = reloader.reload()

    assert assistant.answerer is before and status.stale
    assert status.error is not None and "invoices.csv:1:" in status.error
    assert owes(assistant).startswith("Your outstanding balance")  # the last good invoices


def test_a_change_that_withholds_an_invoice_is_served_and_reported(assistant, reloader, folder):
    edit(
        folder / "invoices.csv",
        "NW-2026-0466,fabrikam,2026-10-01",
        "NW-2026-0466,fabrikam,2026-10-99",
    )

    status = reloader.reload()

    assert not status.stale and status.withheld == ("NW-2026-0466",)
    assert owes(assistant).startswith("I can't show invoice NW-2026-0466 right now")


def test_a_failure_while_building_keeps_the_last_good_snapshot(assistant, reloader, folder):
    before = assistant.answerer
    shutil.rmtree(folder)

    status = reloader.reload()

    assert status.stale and "does not exist" in status.error
    assert assistant.answerer is before


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait for `condition`, failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the condition"
        await asyncio.sleep(0.05)


async def test_the_watcher_reloads_when_a_file_changes(assistant, reloader, folder):
    stop = asyncio.Event()
    reloads = 0

    async def reload() -> None:
        nonlocal reloads
        await asyncio.to_thread(reloader.reload)
        reloads += 1

    watching = asyncio.create_task(watch(folder, reload, stop, debounce_ms=50))
    try:
        await asyncio.sleep(0.3)  # let the watcher start (not an assertion)
        edit(folder / ARTICLE, "payable within 30 days", "payable within 21 days")
        await until(lambda: any("within 21 days" in p.text for p in assistant.knowledge.passages))

        edit(folder / "customers.yaml", "    name: Contoso Ltd", "   name: Contoso Ltd")
        await until(lambda: reloader.status.stale)
        assert "customers.yaml:" in reloader.status.error

        edit(folder / "customers.yaml", "   name: Contoso Ltd", "    name: Contoso Ltd")
        # the status changes inside the reload, the count after it returns
        await until(lambda: not reloader.status.stale and reloads >= 3)
    finally:
        stop.set()
        await asyncio.wait_for(watching, timeout=10)
