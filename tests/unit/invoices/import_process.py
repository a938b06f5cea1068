"""A separate process for the kill -9 test (run by path, not by pytest).

python import_process.py URL FILE
    import FILE (the Autotask preset) under the source "autotask", printing "reading" at
    each progress report, so the test can kill it in the middle of the import
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from bot.invoices.customers import load_matcher
from bot.invoices.importer import import_file
from bot.invoices.mapping import load_preset
from bot.invoices.store import InvoiceStore

ROOT = Path(__file__).resolve().parents[3]


def main(url: str, path: str) -> None:
    store = InvoiceStore.from_url(url)
    import_file(
        store,
        Path(path),
        load_preset("autotask"),
        source="autotask",
        customers=load_matcher(ROOT / "knowledge"),
        today=date(2026, 12, 7),
        progress=lambda read: print(f"reading {read}", flush=True),
    )
    print("done", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
