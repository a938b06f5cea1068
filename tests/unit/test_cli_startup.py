"""`billing-bot --help`, `check` and `tickets` start fast: they import nothing heavy they do
not use (the model stack, the channel SDKs, the web server; SQLAlchemy only for tickets)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLE_KNOWLEDGE

MODEL_AND_CHANNELS = {
    "torch",
    "sentence_transformers",
    "transformers",
    "bm25s",
    "botbuilder",
    "aiohttp",
    "slack_bolt",
    "slack_sdk",
}


def imported_by(*args: str, data_dir: Path) -> set[str]:
    """Top-level packages a fresh `billing-bot ARGS` process imports (from -X importtime)."""
    env = {**os.environ, "DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "adapters.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return {m.split(".")[0] for m in modules}


@pytest.mark.parametrize(
    "args", [("--help",), ("check", str(SAMPLE_KNOWLEDGE)), ("--knowledge", ".", "check", "--help")]
)
def test_help_and_check_import_no_model_no_channel_no_database_no_settings(args, tmp_path):
    heavy = MODEL_AND_CHANNELS | {"sqlalchemy", "pydantic_settings", "numpy"}
    assert imported_by(*args, data_dir=tmp_path) & heavy == set()


def test_tickets_import_the_database_but_no_model_and_no_channel(tmp_path):
    imported = imported_by("tickets", "list", data_dir=tmp_path)
    assert "sqlalchemy" in imported
    assert imported & MODEL_AND_CHANNELS == set()
