"""A stray quote in invoices.csv refuses the file at the line where the quote opens
(`check` exits 1 naming it; `serve` does not start with it, a reload keeps the last good
copy) instead of swallowing every later line into one value."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.knowledge.folder import load_knowledge
from tests.conftest import SAMPLE_KNOWLEDGE


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SAMPLE_KNOWLEDGE, tmp_path / "knowledge"))


def check(folder: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["check", str(folder)])
    return result.exit_code, result.output


def test_a_stray_quote_refuses_the_file_at_the_line_it_opens(folder: Path) -> None:
    path = folder / "invoices.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2].replace(",Microsoft", ',"Microsoft', 1)
    path.write_text("".join(lines), encoding="utf-8")

    code, output = check(folder)

    assert code == 1
    assert "invoices.csv:3: a quote opens a value on this line and is never closed" in output
    assert load_knowledge(folder).fatal  # serve refuses it; a reload keeps the last good copy


def test_the_sample_folder_stays_clean(folder: Path) -> None:
    assert check(folder)[0] == 0
