"""Importing an export again under the same source, on SQLite and PostgreSQL: only what
changed is written, a missing invoice is kept (voided with `full`), a dry run and a failed
or killed import change nothing, concurrent imports end consistent, each is recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from bot.cli import cli
from bot.errors import ImportRefused
from bot.invoices import reimport
from bot.invoices.customers import load_matcher
from bot.invoices.importer import Imported, import_file
from bot.invoices.lookup import StoredBook
from bot.invoices.mapping import load_preset
from bot.invoices.store import InvoiceStore
from tests.conftest import ROOT, SAMPLE_KNOWLEDGE

EXPORTS = ROOT / "tests" / "fixtures" / "exports"
TODAY = date(2026, 12, 7)
HERE = Path(__file__).parent


def _import(store: InvoiceStore, path: Path, **options: Any) -> Imported:
    return import_file(
        store,
        path,
        load_preset("autotask"),
        source="autotask",
        customers=load_matcher(SAMPLE_KNOWLEDGE),
        today=TODAY,
        user="tester",
        **options,
    )


def _variant(tmp_path: Path, name: str, keep: Any = None, add: str = "") -> Path:
    """autotask.csv with only the lines `keep` accepts, plus `add` at the end."""
    lines = (EXPORTS / "autotask.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / name
    path.write_text(
        lines[0] + "".join(line for line in lines[1:] if keep is None or keep(line)) + add,
        encoding="utf-8",
    )
    return path


def _snapshot(store: InvoiceStore) -> dict[str, Any]:
    """What is served and stored, staged leftovers aside (invisible, tidied a day later)."""
    book = StoredBook(store.db)
    with store.db.read() as session:
        conn = session.connection()
        lines = conn.execute(
            text(
                "SELECT l.invoice_number, l.line_key, l.row_hash, l.voided_at FROM invoice_lines "
                "l JOIN invoice_sources s ON s.id = l.source_id WHERE s.state = 'live' "
                "ORDER BY 1, 2"
            )
        ).all()
        sources = conn.execute(
            text("SELECT id, sha256, rank FROM invoice_sources WHERE state = 'live'")
        ).all()
        runs = conn.execute(text("SELECT count(*) FROM invoice_imports")).scalar_one()
    return {
        "invoices": [(i.number, i.status, i.lines) for i in book],
        "lines": [tuple(map(str, row)) for row in lines],
        "sources": [tuple(row) for row in sources],
        "runs": runs,
    }


def _invoice(store: InvoiceStore, customer: str, number: str) -> Any:
    return next((i for i in StoredBook(store.db).of(customer) if i.number == number), None)


def test_the_later_export_writes_only_the_paid_invoice_and_the_corrected_line(
    store: InvoiceStore,
) -> None:
    _import(store, EXPORTS / "autotask.csv")
    with store.db.write() as session:  # a mark a rewrite would erase
        session.execute(
            text(
                "UPDATE invoice_lines SET product = product || ' [untouched]' "
                "WHERE invoice_number = 'NW-2026-0463'"
            )
        )
    done = _import(store, EXPORTS / "autotask-later.csv")

    assert done.counts is not None and done.counts.written == 4  # 3 lines paid, 1 corrected
    assert done.counts.totals | {} == {"new": 0, "changed": 2, "unchanged": 10, "voided": 0,
                                       "kept": 0, "refused": 0}  # fmt: skip
    assert done.counts.customers["fabrikam"]["changed"] == 1
    paid = _invoice(store, "fabrikam", "NW-2026-0466")
    assert paid.status == "paid" and paid.paid_date == date(2026, 12, 4)
    corrected = _invoice(store, "coho", "NW-2026-0525")
    assert [str(line.quantity) for line in corrected.lines][-1] == "9"
    assert len(corrected.lines) == 3
    untouched = _invoice(store, "contoso", "NW-2026-0463")
    assert all(line.product.endswith("[untouched]") for line in untouched.lines)


def test_a_new_invoice_is_added_and_the_same_file_again_writes_nothing(
    store: InvoiceStore, tmp_path: Path
) -> None:
    _import(store, EXPORTS / "autotask.csv")
    extra = "".join(
        line.replace("NW-2026-0525", "NW-2026-0600")
        for line in (EXPORTS / "autotask.csv").read_text(encoding="utf-8").splitlines(True)
        if line.startswith("NW-2026-0525")
    )
    path = _variant(tmp_path, "more.csv", add=extra)
    done = _import(store, path)
    assert done.counts and done.counts.totals["new"] == 1 and done.counts.written == 3
    assert _invoice(store, "coho", "NW-2026-0600") is not None

    again = _import(store, path, full=True)  # compared (full), nothing to write
    assert again.counts and again.counts.written == 0
    assert again.counts.totals["unchanged"] == 13


def test_a_missing_invoice_is_kept_without_full_and_voided_with_it(
    store: InvoiceStore, tmp_path: Path
) -> None:
    _import(store, EXPORTS / "autotask.csv")
    path = _variant(tmp_path, "fewer.csv", keep=lambda line: "NW-2026-0463" not in line)

    kept = _import(store, path)
    assert kept.counts and kept.counts.totals["kept"] == 1 and kept.counts.written == 0
    assert _invoice(store, "contoso", "NW-2026-0463") is not None

    voided = _import(store, path, full=True)
    assert voided.counts and voided.counts.totals["voided"] == 1
    assert voided.counts.customers["contoso"]["voided"] == 1
    book = StoredBook(store.db)
    assert _invoice(store, "contoso", "NW-2026-0463") is None
    assert book.owner_of("NW-2026-0463") is None
    with store.db.read() as session:  # kept, not deleted
        marked = session.execute(
            text(
                "SELECT count(*) FROM invoice_lines WHERE invoice_number = 'NW-2026-0463' "
                "AND voided_at IS NOT NULL"
            )
        ).scalar_one()
    assert marked > 0

    back = _import(store, EXPORTS / "autotask.csv")  # it reappears: served again
    assert back.counts and back.counts.totals["changed"] == 1
    assert _invoice(store, "contoso", "NW-2026-0463") is not None


def test_a_dry_run_writes_nothing(store: InvoiceStore, tmp_path: Path) -> None:
    _import(store, EXPORTS / "autotask.csv")
    before = _snapshot(store)
    path = _variant(tmp_path, "fewer.csv", keep=lambda line: "NW-2026-0463" not in line)

    done = _import(store, path, full=True, dry_run=True)
    later = _import(store, EXPORTS / "autotask-later.csv", dry_run=True)

    assert done.dry_run and done.counts and done.counts.totals["voided"] == 1
    assert later.counts and later.counts.written == 4 and later.counts.totals["changed"] == 2
    assert _snapshot(store) == before


def test_a_failed_import_changes_nothing(
    store: InvoiceStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _import(store, EXPORTS / "autotask.csv")
    before = _snapshot(store)
    row = ",10/01/2026 09:00,10/31/2026,10/01/2026 00:00,10/31/2026 00:00,,False,1,Contoso Ltd"
    nameless = _variant(tmp_path, "nameless.csv", add=row + ",X,1,1.00,1.00,0\n")
    with pytest.raises(ImportRefused):
        _import(store, nameless, full=True)
    assert _snapshot(store) == before

    def broken(*_args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(reimport, "regroup_numbers", broken)  # fails inside the transaction
    with pytest.raises(RuntimeError):
        _import(store, EXPORTS / "autotask-later.csv")
    assert _snapshot(store) == before
    with store.db.read() as session:
        staged = session.execute(text("SELECT count(*) FROM invoice_sources "
                                      "WHERE state = 'staged'")).scalar_one()  # fmt: skip
    assert staged == 0


def test_concurrent_imports_of_one_source_end_consistent(invoice_db_url: str) -> None:
    first = InvoiceStore.from_url(invoice_db_url)
    _import(first, EXPORTS / "autotask.csv")
    errors: list[BaseException] = []

    def run(path: Path) -> None:
        store = InvoiceStore.from_url(invoice_db_url)
        try:
            _import(store, path)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            store.db.close()

    threads = [
        threading.Thread(target=run, args=(EXPORTS / name,))
        for name in ("autotask-later.csv", "autotask.csv", "autotask-later.csv")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    newest = reimport.history(first)[0]
    assert len(reimport.history(first)) == 4
    # What is stored is exactly the file applied last: comparing it again finds no change.
    again = _import(first, EXPORTS / newest["file_name"], full=True, dry_run=True)
    assert again.counts and again.counts.written == 0
    assert again.counts.totals["unchanged"] == 12
    first.db.close()


def test_import_history_lists_each_import(invoice_db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"DATABASE_URL": invoice_db_url, "DATA_DIR": str(tmp_path / "state"),
           "KNOWLEDGE_DIR": str(SAMPLE_KNOWLEDGE)}  # fmt: skip
    for name in ("autotask.csv", "autotask-later.csv"):
        done = runner.invoke(cli, ["import", "invoices", str(EXPORTS / name), "--preset",
                                   "autotask", "--source", "at"], env=env)  # fmt: skip
        assert done.exit_code == 0, done.output
    dry = runner.invoke(cli, ["import", "invoices", str(EXPORTS / "autotask.csv"), "--preset",
                              "autotask", "--source", "at", "--dry-run"], env=env)  # fmt: skip
    listed = runner.invoke(cli, ["import", "history", "--json"], env=env)
    plain = runner.invoke(cli, ["import", "history"], env=env)

    assert "dry run, nothing written" in dry.output and "fabrikam" in dry.output
    runs = [json.loads(line) for line in listed.output.splitlines()]
    assert [run["file_name"] for run in runs] == ["autotask-later.csv", "autotask.csv"]
    assert runs[0]["changed"] == 2 and runs[0]["written"] == 4 and runs[0]["user_name"]
    assert len(runs[0]["sha256"]) == 64 and runs[1]["new"] == 12
    assert "autotask-later.csv" in plain.output and "4 lines written" in plain.output


def _large(tmp_path: Path, copies: int) -> Path:
    """autotask.csv's invoices repeated under new numbers: a file that takes a while."""
    lines = (EXPORTS / "autotask.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "large.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(lines[0])
        for n in range(copies):
            for line in lines[1:]:
                out.write(line.replace("NW-2026-", f"NW-2026-{n:05d}"))
    return path


def test_killed_mid_import_leaves_the_database_as_it_was(
    store: InvoiceStore, invoice_db_url: str, tmp_path: Path
) -> None:
    _import(store, EXPORTS / "autotask.csv")
    before = _snapshot(store)
    path = _large(tmp_path, 800)  # ~42,000 lines
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(HERE / "import_process.py"), invoice_db_url, str(path)],
        stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    assert child.stdout is not None
    reports = 0
    for line in child.stdout:
        reports += line.startswith("reading")
        if reports >= 3:  # some batches written
            break
    child.kill()  # SIGKILL
    child.wait(timeout=30)
    assert reports >= 3, "the import ended before it could be killed"
    assert _snapshot(store) == before
    done = _import(store, EXPORTS / "autotask-later.csv")  # and the next import works
    assert done.counts and done.counts.written == 4
