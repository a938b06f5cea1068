"""Reading the served invoices: what a turn asks (`StoredBook`, an `InvoiceBook`: one
indexed query per question) and what a load reports (problems, withheld invoices).

The hot queries are plain SQL over the driver's values (no ORM objects, no per-value type
processing): one customer's invoices and their lines in one round trip.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from itertools import groupby
from typing import Any

from sqlalchemy import Engine, TextClause, bindparam, text

from bot.invoices.grouping import unknown_customers
from bot.invoices.regroup import as_date, chunks
from bot.knowledge.invoices import Invoice, InvoiceLine, InvoiceStatus, WithheldInvoice
from bot.knowledge.problems import Problem, Severity
from bot.storage.database import READ_ONLY, Database
from bot.storage.prepared import Prepared

_INVOICES = """
SELECT i.number, i.customer_id, i.issue_date, i.due_date, i.currency, i.status, i.paid_date,
       s.name, l.line, l.customer_id, l.issue_date, l.due_date, l.period_start, l.period_end,
       l.product, l.sku, l.charge_type, l.quantity, l.unit_price, l.amount, l.tax,
       l.currency, l.status, l.paid_date
FROM invoices i
JOIN invoice_lines l ON l.invoice_number = i.number
JOIN invoice_sources s ON s.id = l.source_id AND s.state = 'live' AND s.rank = i.rank
WHERE l.voided_at IS NULL {where}
ORDER BY i.issue_date, i.number, s.position, l.line_key
"""
OF_CUSTOMER = text(_INVOICES.format(where="AND i.customer_id = :customer"))
EVERY = text(_INVOICES.format(where=""))
# The collections plan reads only these: a large partner's history is mostly paid.
UNPAID = text(_INVOICES.format(where="AND i.status <> 'paid'"))
OWNER = text("SELECT customer_id FROM invoices WHERE number = :number")
COUNT = text("SELECT count(*) FROM invoices")
HELD_FROM = text("SELECT number FROM invoice_holds WHERE customer_id = :customer")
HELD = text("SELECT number FROM invoice_holds")
HOLDS_OF = text(
    "SELECT number, customer_id FROM invoice_holds WHERE number IN :numbers"
).bindparams(bindparam("numbers", expanding=True))
REASONS_OF = text(
    "SELECT r.number, s.name, r.line, r.column_no, r.message, r.severity "
    "FROM invoice_reasons r JOIN invoice_sources s ON s.id = r.source_id "
    "WHERE r.number IN :numbers ORDER BY r.number, r.seq"
).bindparams(bindparam("numbers", expanding=True))
REJECTIONS_OF = text(
    "SELECT source_id, line, column_no, message, severity FROM invoice_rejections "
    "WHERE source_id IN :sources ORDER BY source_id, line"
).bindparams(bindparam("sources", expanding=True))
# Lines of the folder's invoices that disagree with their first line, in `check`'s order:
# invoice by invoice as each first appears, then line by line.
DISAGREEMENTS = text(
    "SELECT s.name, r.line, r.message, r.severity FROM invoice_reasons r "
    "JOIN invoice_sources s ON s.id = r.source_id "
    "JOIN invoice_sources f ON f.id = r.first_source_id "
    "WHERE s.origin = 'folder' AND f.origin = 'folder' "
    "ORDER BY f.position, r.first_line, s.position, r.line, r.seq"
)
CUSTOMERS = text("SELECT DISTINCT customer_id FROM invoices")
PRODUCTS = text(
    "SELECT DISTINCT l.product, l.sku FROM invoices i "
    "JOIN invoice_lines l ON l.invoice_number = i.number "
    "JOIN invoice_sources s ON s.id = l.source_id AND s.state = 'live' AND s.rank = i.rank "
    "WHERE l.voided_at IS NULL"
)
INVOICES_FOR = text(
    "SELECT i.issue_date, i.number, i.customer_id, s.name, i.first_line FROM invoices i "
    "JOIN invoice_sources s ON s.id = i.first_source_id WHERE i.customer_id IN :customers"
).bindparams(bindparam("customers", expanding=True))


class StoredBook:
    """The served invoices, read live from the database (an import, or another replica's
    reload, shows at once)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._reader = db.engine.execution_options(**{READ_ONLY: True})
        # What turns ask, as lone statements on the pooled driver connection (no BEGIN or
        # ROLLBACK around them, no per-call statement set-up): one customer's invoices is
        # the look-up every invoice turn makes.
        dialect = db.engine.dialect
        self._of_customer = Prepared(OF_CUSTOMER, dialect)
        self._owner = Prepared(OWNER, dialect)
        self._held_from = Prepared(HELD_FROM, dialect)

    def __len__(self) -> int:
        return int(_all(self._reader, COUNT)[0][0])

    def __iter__(self) -> Iterator[Invoice]:
        return iter(_invoices(_all(self._reader, EVERY)))

    def of(self, customer_id: str) -> list[Invoice]:
        return _invoices(self._run(self._of_customer, customer=customer_id))

    def unpaid(self) -> Iterator[Invoice]:
        return iter(_invoices(_all(self._reader, UNPAID)))

    def owner_of(self, number: str) -> str | None:
        found = self._run(self._owner, number=number)
        return str(found[0][0]) if found else None

    def withheld_of(self, customer_id: str) -> list[WithheldInvoice]:
        numbers = [row[0] for row in self._run(self._held_from, customer=customer_id)]
        return list(_withheld(self._reader, numbers)) if numbers else []

    def products(self) -> set[tuple[str, str]]:
        return {(product, sku or "") for product, sku in _all(self._reader, PRODUCTS)}

    def _run(self, statement: Prepared, **params: Any) -> list[Any]:
        with self._db.single() as conn:
            return statement.run(conn, params)


def withheld(db: Database) -> tuple[WithheldInvoice, ...]:
    """Every withheld invoice, by number."""
    reader = db.engine.execution_options(**{READ_ONLY: True})
    numbers = sorted({row[0] for row in _all(reader, HELD)})
    return tuple(w for chunk in chunks(numbers) for w in _withheld(reader, list(chunk)))


def rejections(db: Database, sources: Sequence[int]) -> dict[int, list[Problem]]:
    """Each source's rejected rows, as problems, in line order."""
    found: dict[int, list[Problem]] = {source: [] for source in sources}
    names = _names(db, sources)
    with db.read() as session:
        conn = session.connection()
        for chunk in chunks(list(sources), 100):
            for source, line, column, message, severity in conn.execute(
                REJECTIONS_OF, {"sources": list(chunk)}
            ):
                found[source].append(
                    Problem(names[source], line, message, Severity(severity), column)
                )
    return found


def disagreements(db: Database) -> list[Problem]:
    with db.read() as session:
        rows = session.connection().execute(DISAGREEMENTS).all()
    return [
        Problem(name, line, message, Severity(severity)) for name, line, message, severity in rows
    ]


def strangers(db: Database, known: frozenset[str]) -> list[Problem]:
    """A problem for each complete invoice naming a customer not in `known`."""
    with db.read() as session:
        conn = session.connection()
        unknown = sorted(set(conn.execute(CUSTOMERS).scalars()) - known)
        rows = [
            (as_date(issued), number, customer, f"{name}:{line}")
            for chunk in chunks(unknown)
            for issued, number, customer, name, line in conn.execute(
                INVOICES_FOR, {"customers": list(chunk)}
            )
        ]
    return unknown_customers(rows, set(known))


def _names(db: Database, sources: Iterable[int]) -> dict[int, str]:
    query = text("SELECT id, name FROM invoice_sources WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    with db.read() as session:
        conn = session.connection()
        return {
            source: name
            for chunk in chunks(list(sources), 500)
            for source, name in conn.execute(query, {"ids": list(chunk)})
        }


def _all(reader: Engine, query: TextClause, **params: Any) -> list[Any]:
    with reader.connect() as conn:
        return list(conn.execute(query, params).all())


def _withheld(reader: Engine, numbers: list[str]) -> Iterator[WithheldInvoice]:
    with reader.connect() as conn:
        customers: dict[str, set[str]] = {}
        for number, customer in conn.execute(HOLDS_OF, {"numbers": numbers}):
            customers.setdefault(number, set()).add(customer)
        reasons: dict[str, list[Problem]] = {}
        for number, name, line, column, message, severity in conn.execute(
            REASONS_OF, {"numbers": numbers}
        ):
            reasons.setdefault(number, []).append(
                Problem(name, line, message, Severity(severity), column)
            )
    for number in sorted(customers):
        yield WithheldInvoice(
            number, frozenset(customers[number] - {""}), tuple(reasons.get(number, ()))
        )


def _invoices(rows: list[Any]) -> list[Invoice]:
    """Invoices from `_INVOICES` rows (an invoice's rows are consecutive)."""
    found = []
    for number, group in groupby(rows, key=lambda row: row[0]):
        items = list(group)
        head = items[0]
        found.append(
            Invoice(
                number,
                head[1],
                as_date(head[2]),
                as_date(head[3]),
                head[4],
                InvoiceStatus(head[5]),
                _maybe_date(head[6]),
                tuple(_line(number, row) for row in items),
            )
        )
    return found


def _line(number: str, row: Any) -> InvoiceLine:
    return InvoiceLine(
        invoice_number=number,
        customer_id=row[9],
        issue_date=as_date(row[10]),
        due_date=as_date(row[11]),
        period_start=as_date(row[12]),
        period_end=as_date(row[13]),
        product=row[14],
        sku=row[15],
        charge_type=row[16],
        quantity=Decimal(row[17]),
        unit_price=Decimal(row[18]),
        amount=Decimal(row[19]),
        tax=Decimal(row[20]),
        currency=row[21],
        status=InvoiceStatus(row[22]),
        paid_date=_maybe_date(row[23]),
        source=f"{row[7]}:{row[8]}",
    )


def _maybe_date(value: str | date | None) -> date | None:
    return None if value is None else as_date(value)
