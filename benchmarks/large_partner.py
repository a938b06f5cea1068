"""A large partner: 10,000 customers, 24 months of invoices, ~5 lines each (1.2M lines).

    .venv/bin/python benchmarks/large_partner.py [--customers 10000] [--months 24]
        [--lines 5] [--as import|folder] [--turns 200 (0: none)] [--[no-]reimport] [--keep DIR]

Generates (deterministically, into a temporary folder) a knowledge folder whose
customers.yaml has the sample customers plus the generated ones, and the generated
invoices either as a partner's PSA export (`--as import`, the default: the shape of
docs/invoice-mapping.example.yaml: semicolons, decimal commas, day.month.year dates) or as
the folder's own `invoices/large.csv` (`--as folder`). Then prints, measured in this run:

- the import time: `billing-bot import invoices EXPORT --mapping MAPPING` in a child process
  (or, `--as folder`, the first load of the folder into the database); target <= 3 min;
- (`--reimport`, on by default) the same export again with 1% of its lines changed: its
  time and lines written next to the first import's; targets: only the changed lines
  written, in no more time than the first import;
- in a fresh child per folder, with the real all-MiniLM-L6-v2 model, after warm-up: RSS,
  and the p50 of invoice turns (as Teams delivers them: tenant and event id) next to the p50
  of one encode of the same questions: the sample folder first, then the large partner
  (customers drawn at random). Targets: RSS growth <= 150 MB over the sample folder; the
  large partner's turn/encode ratio within 1.15x of the sample folder's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAPPING = ROOT / "docs" / "invoice-mapping.example.yaml"
NOW = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
LAST_MONTH = date(2026, 11, 1)  # the newest invoices; the sample folder is dated for NOW
PRODUCTS = [  # (sku, product, unit price in cents)
    ("CFQ7TTC0LFLX:0001", "Microsoft 365 E3", 3780),
    ("CFQ7TTC0LCHC:0002", "Microsoft 365 Business Premium", 2310),
    ("CFQ7TTC0LH0T:0001", "Microsoft Teams Phone Standard", 1050),
    ("CFQ7TTC0LF8Q:0001", "Microsoft 365 E5", 5700),
    ("CFQ7TTC0LHSF:0001", "Exchange Online (Plan 1)", 420),
    ("CFQ7TTC0LGZW:0001", "Microsoft Defender for Business", 315),
    ("CFQ7TTC0HL8W:0001", "Power BI Pro", 1050),
    ("NW-SUP-PREM", "Northwind Premium Technical Support", 400),
    ("DZH318Z0BQ3Q", "Azure consumption", 1),
]
HEADER = (
    "Account;Invoice #;Invoice Date;Payment Due;Item Code;Description;Service From;"
    "Service To;Billing Type;Qty;Unit Price;Net Amount;VAT;Currency;Invoice Status;Paid On"
)
NATIVE_HEADER = (
    "invoice_number,customer_id,issue_date,due_date,period_start,period_end,product,sku,"
    "charge_type,quantity,unit_price,amount,tax,currency,status,paid_date"
)
WORDS = {"paid": "Paid", "unpaid": "Open", "overdue": "Past Due"}  # the export's statuses
QUESTIONS = [
    "How much do we owe?",
    "When is my invoice due?",
    "Show me my recent invoices",
    "What is on invoice {number}?",
]


# -- the generator -------------------------------------------------------------------------
def months(count: int) -> list[date]:
    found, day = [], LAST_MONTH
    for _ in range(count):
        found.append(day)
        day = (day - timedelta(days=1)).replace(day=1)
    return found[::-1]


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def european(cents: int) -> str:
    """1234550 -> "12.345,50" (the export's convention)."""
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    units, rest = divmod(cents, 100)
    return f"{sign}{units:,}".replace(",", ".") + f",{rest:02d}"


def plain(cents: int) -> str:
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    units, rest = divmod(cents, 100)
    return f"{sign}{units}.{rest:02d}"


def customer_id(n: int) -> str:
    return f"lp{n:05d}"


def tenant_of(n: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"large-partner/{n}"))


def _period(day: date, native: bool) -> dict[str, Any]:
    """One month's dates, written once: (issued, due, period start, period end, paid on
    each of the 7 days before the due date)."""
    due, end = day + timedelta(days=30), month_end(day)
    form = (lambda d: d.isoformat()) if native else (lambda d: f"{d:%d.%m.%Y}")
    return {
        "year": day.year,
        "issued": form(day),
        "due": form(due),
        "end": form(end),
        "paid": [form(due - timedelta(days=k)) for k in range(7)],
    }


def _export_line(  # noqa: PLR0913 (one CSV column each)
    account: str, invoice: str, period: dict[str, Any], sku: str, product: str, price: int,
    quantity: int, amount: int, tax: int, status: str, paid: str,
) -> str:  # fmt: skip
    kind = "Consumption" if price == 1 else "Recurring"
    return (
        f"{account};{invoice};{period['issued']};{period['due']};{sku};{product};"
        f"{period['issued']};{period['end']};{kind};{quantity};{european(price)};"
        f"{european(amount)};{european(tax)};EUR;{WORDS[status]};{paid}\n"
    )


def _native_line(  # noqa: PLR0913 (one CSV column each)
    account: str, invoice: str, period: dict[str, Any], sku: str, product: str, price: int,
    quantity: int, amount: int, tax: int, status: str, paid: str,
) -> str:  # fmt: skip
    kind = "usage" if price == 1 else "renewal"
    return (
        f"{invoice},{account},{period['issued']},{period['due']},{period['issued']},"
        f"{period['end']},{product},{sku},{kind},{quantity},{plain(price)},{plain(amount)},"
        f"{plain(tax)},EUR,{status},{paid}\n"
    )


def generate(dest: Path, customers: int, month_count: int, per_invoice: int, native: bool) -> dict:
    """Write the folder (and the export, unless `native`) into `dest`; returns its facts."""
    started = time.perf_counter()
    folder = dest / "knowledge"
    shutil.copytree(ROOT / "knowledge", folder)
    with (folder / "customers.yaml").open("a", encoding="utf-8") as out:
        for n in range(customers):
            out.write(
                f"\n  - id: {customer_id(n)}\n    name: Large Partner Customer {n}\n"
                f'    tenant_ids: ["{tenant_of(n)}"]\n'
                f"    contacts:\n      - {{name: Billing {n}, email: billing{n}@lp.example, "
                "role: billing}\n    support_plan: standard\n    account_status: active\n"
                "    currency: EUR\n"
            )
    rng = random.Random(20261124)
    write = _native_line if native else _export_line
    periods = [_period(day, native) for day in months(month_count)]
    if native:
        (folder / "invoices").mkdir()
        path = folder / "invoices" / "large.csv"
    else:
        path = dest / "export.csv"
    number, lines = 0, 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write((NATIVE_HEADER if native else HEADER) + "\n")
        chunk: list[str] = []
        for n in range(customers):
            account = customer_id(n)
            mix = rng.sample(PRODUCTS, per_invoice)
            seats = [rng.randint(1, 300) for _ in mix]
            late = n % 50 == 0  # one customer in fifty has an overdue invoice
            for m, period in enumerate(periods):
                number += 1
                status = (
                    "unpaid"
                    if m == len(periods) - 1
                    else ("overdue" if late and m == len(periods) - 2 else "paid")
                )
                invoice = f"LP-{period['year']}-{number:06d}"
                paid = period["paid"][n % 7] if status == "paid" else ""
                for (sku, product, price), qty in zip(mix, seats, strict=True):
                    quantity = rng.randint(5_000, 90_000) if price == 1 else qty
                    amount = quantity * price
                    chunk.append(
                        write(account, invoice, period, sku, product, price, quantity, amount,
                              amount * 21 // 100, status, paid)
                    )  # fmt: skip
                    lines += 1
            if len(chunk) > 50_000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
    return {
        "folder": str(folder),
        "invoices_file": str(path),
        "lines": lines,
        "invoices": number,
        "bytes": path.stat().st_size,
        "seconds": time.perf_counter() - started,
    }


# -- the measurements ----------------------------------------------------------------------
def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(folder: Path, data: Path, turns: int, large: bool) -> dict:
    """In this (child) process: the assistant on `folder`, warmed up; RSS and turn times."""
    from bot.app import build_assistant
    from bot.config import load_settings
    from bot.retrieval.embedder import SentenceTransformerEmbedder
    from bot.types import Message

    settings = load_settings(knowledge_dir=folder, data_dir=data)
    embedder = SentenceTransformerEmbedder()
    started = time.perf_counter()
    assistant = build_assistant(settings, embedder=embedder, clock=lambda: NOW)
    loaded = time.perf_counter() - started
    knowledge = assistant.knowledge
    rng = random.Random(7)
    if large:
        pool = [c for c in knowledge.customers if c.id.startswith("lp")]
    else:
        pool = [c for c in knowledge.customers if c.tenant_ids]

    def turn(n: int) -> tuple[Message, str]:
        customer = rng.choice(pool)
        question = QUESTIONS[n % len(QUESTIONS)]
        if "{number}" in question:
            mine = knowledge.invoices_of(customer.id)
            question = question.format(number=rng.choice(mine).number if mine else "X")
        message = Message(
            question,
            channel="teams",
            conversation=f"c{n}",
            tenant_id=customer.tenant_ids[0],
            event_id=str(uuid.uuid4()),
        )
        return message, question

    for n in range(20):  # warm-up: the model, the classifier, the caches, SQL connections
        assistant.handle(turn(n)[0])
    before = rss_mb()
    timings, encodes, kinds = [], [], set()
    for n in range(turns):
        message, question = turn(n)
        started = time.perf_counter()
        reply = assistant.handle(message)
        timings.append((time.perf_counter() - started) * 1000)
        kinds.add(str(reply.kind))
        started = time.perf_counter()
        embedder.embed([question])
        encodes.append((time.perf_counter() - started) * 1000)
    return {
        "load_seconds": loaded,
        "customers": len(knowledge.customers),
        "invoices": len(knowledge.invoices),
        "rss_mb_warm": before,
        "rss_mb_after": rss_mb(),
        "turn_p50_ms": statistics.median(timings),
        "encode_p50_ms": statistics.median(encodes),
        "kinds": sorted(kinds),
    }


def child(folder: Path, data: Path, turns: int, large: bool) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--measure", str(folder), "--data", str(data),
         "--turns", str(turns), *(["--large"] if large else [])],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"measuring {folder} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_into_database(folder: Path, data: Path) -> float:
    """`--as folder`: the first load of the folder into the database, in a child."""
    code = (
        "import sys,time; from pathlib import Path; from bot.storage.stores import Storage; "
        "from bot.invoices.folder import load_served; s=Storage.from_url(sys.argv[2]); "
        "t=time.perf_counter(); k=load_served(Path(sys.argv[1]), s.db); "
        "print(time.perf_counter()-t, len(k.invoices), len(k.problems))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(folder), f"sqlite:///{data / 'billing.db'}"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    seconds, invoices, problems = done.stdout.split()
    print(f"  loaded {invoices} invoices, {problems} problem(s)")
    return float(seconds)


def run_import(export: Path, folder: str, data: Path) -> tuple[float, int]:
    """`billing-bot import invoices` in a child, under one source name: (seconds, lines
    written)."""
    env = {**os.environ, "DATA_DIR": str(data), "KNOWLEDGE_DIR": folder}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "adapters.cli", "import", "invoices", str(export),
         "--mapping", str(MAPPING), "--source", "large-partner"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    report = [line for line in done.stderr.splitlines() if "line(s)" in line]
    for line in report:
        print("  " + line.strip().rsplit("\r", 1)[-1])
    written = int(report[-1].rsplit(";", 1)[1].split()[0].replace(",", ""))
    return seconds, written


def changed_copy(export: Path, every: int) -> dict[str, Any]:
    """A copy of `export` with the VAT of one line in `every` changed by a cent."""
    path = export.with_name("later-" + export.name)
    changed = 0
    with export.open(encoding="utf-8") as src, path.open("w", encoding="utf-8") as out:
        out.write(next(src))
        for n, line in enumerate(src, 1):
            if n % every == 0:
                cells = line.split(";")
                cents = int(cells[12].replace(".", "").replace(",", "")) + 1
                cells[12] = european(cents)
                line = ";".join(cells)
                changed += 1
            out.write(line)
    return {"path": str(path), "changed": changed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--lines", type=int, default=5, help="lines per invoice")
    parser.add_argument("--as", dest="shape", choices=["import", "folder"], default="import")
    parser.add_argument("--turns", type=int, default=200, help="0: no turns measured")
    parser.add_argument(
        "--reimport",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="import the export again with 1%% of its lines changed (default: on)",
    )
    parser.add_argument("--keep", type=Path, help="generate here and keep it (else a temp dir)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--large", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.data, args.turns, args.large)))
        return
    with tempfile.TemporaryDirectory(prefix="large-partner-") as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        native = args.shape == "folder"
        facts = generate(where, args.customers, args.months, args.lines, native)
        print(
            f"== generated {facts['lines']:,} lines of {facts['invoices']:,} invoices for "
            f"{args.customers:,} customers ({facts['bytes'] / 2**20:.0f} MiB) in "
            f"{facts['seconds']:.1f} s"
        )
        data = where / "state"
        if native:
            print("== first load of the folder's invoices into the database (SQLite)")
            seconds = load_into_database(Path(facts["folder"]), data)
        else:
            print("== billing-bot import invoices (SQLite)")
            seconds, _ = run_import(Path(facts["invoices_file"]), facts["folder"], data)
        print(f"import time {seconds:.1f} s (target <= 180 s)")
        if args.reimport and not native:
            later = changed_copy(Path(facts["invoices_file"]), every=100)
            print(f"== the same export again, 1% of lines changed ({later['changed']:,} lines)")
            again, written = run_import(Path(later["path"]), facts["folder"], data)
            print(
                f"re-import time {again:.1f} s vs first import {seconds:.1f} s "
                f"(target <= first); lines written {written:,} vs {facts['lines']:,} "
                f"(target: only the {later['changed']:,} changed)"
            )
        if not args.turns:
            return
        print(f"== {args.turns} invoice turns each, real model, fresh process per folder")
        sample = child(ROOT / "knowledge", where / "sample-state", args.turns, large=False)
        large = child(Path(facts["folder"]), data, args.turns, large=True)
        for name, m in (("sample folder", sample), ("large partner", large)):
            print(
                f"{name}: {m['customers']:,} customers, {m['invoices']:,} invoices, loaded in "
                f"{m['load_seconds']:.1f} s; RSS {m['rss_mb_warm']:.0f} MB warm, "
                f"{m['rss_mb_after']:.0f} MB after; turn p50 {m['turn_p50_ms']:.1f} ms, one "
                f"encode p50 {m['encode_p50_ms']:.1f} ms: "
                f"{m['turn_p50_ms'] / m['encode_p50_ms']:.2f}x ({', '.join(m['kinds'])})"
            )
        growth = large["rss_mb_after"] - sample["rss_mb_after"]
        ratio = (large["turn_p50_ms"] / large["encode_p50_ms"]) / (
            sample["turn_p50_ms"] / sample["encode_p50_ms"]
        )
        print(f"RSS growth over the sample folder: {growth:.0f} MB (target <= 150 MB)")
        print(f"turn/encode, large vs sample: {ratio:.2f}x (target <= 1.15x)")


if __name__ == "__main__":
    main()
