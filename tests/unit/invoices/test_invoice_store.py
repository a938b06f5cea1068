"""The knowledge folder's invoices in the database (SQLite and PostgreSQL): served exactly as
the in-memory loader reads them, re-imported only when a file's content changed, never
changed by a load that cannot be served, looked up by index."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot.invoices import regroup
from bot.invoices.folder import InDatabase
from bot.invoices.store import FOLDER, InvoiceStore
from bot.knowledge.folder import Knowledge, load_knowledge
from bot.knowledge.problems import Severity
from tests.conftest import SAMPLE_KNOWLEDGE

HEADER = (
    "invoice_number,customer_id,issue_date,due_date,period_start,period_end,product,sku,"
    "charge_type,quantity,unit_price,amount,tax,currency,status,paid_date\n"
)
CUSTOMERS = "customers:\n  - id: acme\n    name: Acme\n  - id: globex\n    name: Globex\n"


def row(number="NW-1", customer="acme", issued="2026-11-02", status="unpaid", amount="20",
        currency="EUR", product="M365") -> str:  # fmt: skip
    paid = "2026-11-20" if status == "paid" else ""
    return (
        f"{number},{customer},{issued},2026-12-02,2026-11-01,2026-11-30,{product},S,renewal,"
        f"2,10,{amount},0,{currency},{status},{paid}\n"
    )


def served(folder: Path, store: InvoiceStore) -> Knowledge:
    return load_knowledge(folder, InDatabase(store))


def facts(knowledge: Knowledge) -> tuple:
    """Everything a load tells: its problems, its withheld and complete invoices (lines
    included), and every customer's view of them."""
    customers = {c.id for c in knowledge.customers} | {i.customer_id for i in knowledge.invoices}
    return (
        knowledge.problems,
        knowledge.withheld,
        len(knowledge.invoices),
        list(knowledge.invoices),
        {c: (knowledge.invoices_of(c), knowledge.withheld_of(c)) for c in sorted(customers)},
        {i.number: knowledge.owner_of(i.number) for i in knowledge.invoices},
        knowledge.invoices.products(),
    )


def source_ids(store: InvoiceStore) -> dict[str, int]:
    return {name: source.id for name, source in store.live(FOLDER).items()}


def test_the_sample_folder_is_served_from_the_database_as_from_memory(store, folder):
    from_db, in_memory = served(folder, store), load_knowledge(folder)
    assert from_db.problems == () and len(from_db.invoices) == len(in_memory.invoices) >= 20
    assert facts(from_db) == facts(in_memory)
    assert len(from_db.invoices.products()) >= 5  # the words of the lines the bot knows
    assert from_db.owner_of("NW-2026-0466") == "fabrikam"
    assert from_db.owner_of("NW-1999-0001") is None


def test_a_file_is_read_again_only_when_its_content_changed(store, folder):
    (folder / "invoices").mkdir()
    (folder / "invoices" / "extra.csv").write_text(HEADER + row("NW-9001", "contoso"))
    served(folder, store)
    first = source_ids(store)

    served(folder, store)  # nothing changed: nothing read again
    assert source_ids(store) == first
    os.utime(folder / "invoices.csv")  # touched, same content: still not
    served(folder, store)
    assert source_ids(store) == first

    (folder / "invoices" / "extra.csv").write_text(HEADER + row("NW-9002", "contoso"))
    knowledge = served(folder, store)
    again = source_ids(store)
    assert again["invoices.csv"] == first["invoices.csv"]
    assert again["invoices/extra.csv"] != first["invoices/extra.csv"]
    assert knowledge.owner_of("NW-9002") == "contoso" and knowledge.owner_of("NW-9001") is None
    with store.db.read() as session:  # the replaced copy's rows are gone
        left = session.execute(text("SELECT count(*) FROM invoice_sources")).scalar_one()
    assert left == 2


def test_a_removed_file_takes_its_invoices_with_it(store, folder):
    (folder / "invoices").mkdir()
    (folder / "invoices" / "extra.csv").write_text(HEADER + row("NW-9001", "contoso"))
    assert served(folder, store).owner_of("NW-9001") == "contoso"
    (folder / "invoices" / "extra.csv").unlink()
    knowledge = served(folder, store)
    assert knowledge.owner_of("NW-9001") is None
    assert set(source_ids(store)) == {"invoices.csv"}


def test_a_folder_that_cannot_be_served_changes_nothing_stored(store, folder):
    before = facts(served(folder, store))
    invoices = folder / "invoices.csv"
    invoices.write_text(invoices.read_text() + row("NW-9001", "contoso"))
    customers = folder / "customers.yaml"
    customers.write_text(customers.read_text().replace("    name: Contoso Ltd", "   name: X"))

    broken = served(folder, store)

    assert broken.fatal  # customers.yaml is lost: `serve` would refuse, a reload keeps going
    assert broken.owner_of("NW-9001") is None  # the invoice edit waits for a servable folder
    customers.write_text(customers.read_text().replace("   name: X", "    name: Contoso Ltd"))
    fixed = served(folder, store)
    assert fixed.owner_of("NW-9001") == "contoso"
    assert facts(fixed)[4]["fabrikam"] == before[4]["fabrikam"]


def test_an_invoice_file_broken_past_a_line_keeps_its_last_good_copy(store, folder):
    good = served(folder, store)
    invoices = folder / "invoices.csv"
    text_ = invoices.read_text()
    invoices.write_text(text_ + row("NW-9001", "contoso", product="a\rb"))  # unreadable

    broken = served(folder, store)

    (fatal,) = broken.fatal
    assert str(fatal).startswith("invoices.csv:")
    assert "cannot be read past this line" in fatal.message
    assert facts(broken)[3] == facts(good)[3]  # still serving the last good invoices
    assert load_knowledge(folder).fatal == broken.fatal  # `check` says the same


def test_invoice_files_have_no_size_limit(store, folder):
    lines = [row(f"NW-2026-{n:06d}", "contoso", product="Microsoft 365 E3 " + "x" * 80)
             for n in range(50_000)]  # fmt: skip
    (folder / "invoices").mkdir()
    (folder / "invoices" / "big.csv").write_text(HEADER + "".join(lines))
    assert (folder / "invoices" / "big.csv").stat().st_size > 5 * 1024 * 1024

    knowledge = served(folder, store)

    assert knowledge.problems == ()
    assert len(knowledge.invoices) == 50_000 + len(load_knowledge(SAMPLE_KNOWLEDGE).invoices)
    assert knowledge.owner_of("NW-2026-049999") == "contoso"


def test_replicas_loading_together_agree(store, folder):
    (folder / "invoices").mkdir()
    (folder / "invoices" / "extra.csv").write_text(HEADER + row("NW-9001", "contoso"))
    found: list[Knowledge] = []
    errors: list[BaseException] = []

    def load() -> None:
        try:
            found.append(served(folder, store))
        except BaseException as exc:  # collected and reported below
            errors.append(exc)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert set(source_ids(store)) == {"invoices.csv", "invoices/extra.csv"}
    expected = facts(load_knowledge(folder))
    assert all(facts(k) == expected for k in found)


def test_lookups_use_indexes(store, folder):
    served(folder, store)
    queries = {
        "one customer's invoices": "SELECT * FROM invoices i JOIN invoice_lines l "
        "ON l.invoice_number = i.number WHERE i.customer_id = 'contoso'",
        "the owner of an invoice number": "SELECT customer_id FROM invoices "
        "WHERE number = 'NW-2026-0466'",
        "one customer's withheld invoices": "SELECT number FROM invoice_holds "
        "WHERE customer_id = 'contoso'",
    }
    with store.db.read() as session:
        conn = session.connection()
        sqlite = conn.dialect.name == "sqlite"
        if not sqlite:  # a table this small is scanned when it may be: ask for the plan
            conn.execute(text("SET LOCAL enable_seqscan = off"))
        for what, query in queries.items():
            explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
            plan = " ".join(str(r[-1]) for r in conn.execute(text(explain + query)))
            scans = (
                ("SCAN i", "SCAN l", "SCAN invoices", "SCAN invoice_holds")
                if sqlite
                else ("Seq Scan",)
            )
            assert not any(s in plan for s in scans), (what, plan)


# -- the database and memory agree on any invoice files ------------------------------------
rows = st.builds(
    row,
    number=st.sampled_from(["NW-1", "NW-2", "NW-3", ""]),
    customer=st.sampled_from(["acme", "globex", "ghost"]),
    issued=st.sampled_from(["2026-11-02", "2026-11-03", "2026-13-01"]),
    status=st.sampled_from(["unpaid", "paid", "bogus"]),
    amount=st.sampled_from(["20", "25", "NaN"]),
    currency=st.sampled_from(["EUR", "USD"]),
    product=st.sampled_from(["M365", "M365", "M365", "a\rb"]),  # the last: unreadable past it
)
files = st.dictionaries(
    st.sampled_from(["invoices.csv", "invoices/2026-10.csv", "invoices/2026-11.csv"]),
    st.one_of(
        st.lists(rows, max_size=5).map(lambda found: HEADER + "".join(found)),
        st.just("invoice_number,customer_id\nNW-1,acme\n"),  # missing columns
    ),
    max_size=3,
)


@settings(
    max_examples=int(os.environ.get("INVOICE_FOLDERS", "40")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(files=files, customers=st.booleans())
@pytest.mark.parametrize("touched_only", [True, False], ids=["touched", "everything"])
def test_any_invoice_files_load_the_same_from_the_database_as_in_memory(
    store, monkeypatch, touched_only, files, customers
):
    """One store across examples: each load starts from what the previous one left, and
    groups again the invoice numbers it touched (or, past a size, every invoice)."""
    monkeypatch.setattr(regroup, "EVERYTHING_ABOVE", 50_000 if touched_only else 0)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "knowledge"
        (root / "invoices").mkdir(parents=True)
        if customers:
            (root / "customers.yaml").write_text(CUSTOMERS)
        for name, content in files.items():
            (root / name).write_text(content)
        in_memory = load_knowledge(root)
        from_db = served(root, store)
        servable = not in_memory.fatal
        if servable:
            assert facts(from_db) == facts(in_memory)
        else:  # refused as a whole, the same way; what is served did not change
            assert from_db.fatal == in_memory.fatal
            assert all(p.severity is not Severity.FATAL or p in from_db.problems
                       for p in in_memory.problems)  # fmt: skip
        shutil.rmtree(root)
