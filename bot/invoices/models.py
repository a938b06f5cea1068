"""The invoice tables (Alembic revision 0004), on the ticket store's `Base`: one database.

    invoice_sources     one file as imported: a knowledge folder file (by path) or an
                        imported export (by source name), with its content hash. `staged`
                        while its rows are written, `live` once made current, `retired`
                        when replaced (its rows are deleted after).
    invoice_lines       the rows of each source that were read, as written (amounts are
                        exact decimal text), keyed by (source, invoice number, line key: the
                        line's place in its invoice) with a hash of their content; a line
                        of an invoice missing from a `--full` re-import is kept, `voided_at`
    invoice_imports     one row per import of an export: file hash, rows, counts, who, when
    invoice_rejections  the rows of each source that could not be read, with why
    invoices            complete invoices, as served: grouped from the live sources' lines
    invoice_holds       withheld invoices, one row per customer id their lines name
    invoice_reasons     why each withheld invoice is held back

The last three are derived: rebuilt for the invoice numbers a change touches.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Table, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.knowledge.invoices import MAX_ID
from bot.storage.models import Base, UTCDateTime

LIVE = "state = 'live'"


def cast_table(table: Any) -> Table:
    """A model's `__table__`, typed as the `Table` it is (for Core statements)."""
    return cast(Table, table)


class InvoiceSourceRow(Base):
    __tablename__ = "invoice_sources"
    __table_args__ = (
        # One live version of each file or import.
        Index(
            "uq_invoice_sources_live",
            "origin",
            "name",
            unique=True,
            postgresql_where=text(LIVE),
            sqlite_where=text(LIVE),
        ),
        Index("ix_invoice_sources_state", "state"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(10))  # "folder" or "import"
    name: Mapped[str] = mapped_column(String(1000))  # what problems name: a path, a source
    sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10))  # staged, live, retired
    # Precedence: an invoice number in several sources is taken from the highest rank
    # (folder files 0, imports in the order they were made live); within one rank, lines
    # of one number form one invoice, in `position` (the folder's load order) and line order.
    rank: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    row_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InvoiceLineRow(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (Index("ix_invoice_lines_number", "invoice_number"),)

    source_id: Mapped[int] = mapped_column(ForeignKey("invoice_sources.id"), primary_key=True)
    # The file line it was read from when last written (an unchanged line is not rewritten).
    line: Mapped[int] = mapped_column(Integer)
    invoice_number: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(MAX_ID))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    product: Mapped[str] = mapped_column(Text)
    sku: Mapped[str] = mapped_column(Text)
    charge_type: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[str] = mapped_column(Text)
    unit_price: Mapped[str] = mapped_column(Text)
    amount: Mapped[str] = mapped_column(Text)
    tax: Mapped[str] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    paid_date: Mapped[date | None] = mapped_column(Date)
    line_key: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1, 2, ... in its invoice
    row_hash: Mapped[str] = mapped_column(String(32))  # of the fields above ("": unknown)
    # Its invoice was missing from a `--full` import of the source: kept, never served.
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InvoiceRejectionRow(Base):
    __tablename__ = "invoice_rejections"
    __table_args__ = (Index("ix_invoice_rejections_number", "invoice_number"),)

    source_id: Mapped[int] = mapped_column(ForeignKey("invoice_sources.id"), primary_key=True)
    line: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_number: Mapped[str] = mapped_column(String(MAX_ID))  # "" when it names none
    customer_id: Mapped[str] = mapped_column(String(MAX_ID))
    column_no: Mapped[int | None] = mapped_column(Integer)  # imports: the column at fault
    message: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))


class InvoiceRow(Base):
    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_customer", "customer_id", "issue_date", "number"),)

    number: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(MAX_ID))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    paid_date: Mapped[date | None] = mapped_column(Date)
    rank: Mapped[int] = mapped_column(Integer)  # its lines are the live ones of this rank
    first_source_id: Mapped[int] = mapped_column(Integer)
    first_line: Mapped[int] = mapped_column(Integer)


class InvoiceHoldRow(Base):
    __tablename__ = "invoice_holds"
    __table_args__ = (Index("ix_invoice_holds_customer", "customer_id"),)

    number: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)  # "": none


class InvoiceReasonRow(Base):
    __tablename__ = "invoice_reasons"

    number: Mapped[str] = mapped_column(String(MAX_ID), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(Integer)
    line: Mapped[int] = mapped_column(Integer)
    column_no: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(10))
    # A line that disagrees with its invoice's first line: where that first line is (the
    # order `check` lists these in); None for a rejected row.
    first_source_id: Mapped[int | None] = mapped_column(Integer)
    first_line: Mapped[int | None] = mapped_column(Integer)


class InvoiceImportRow(Base):
    """One import of an export (`billing-bot import history`)."""

    __tablename__ = "invoice_imports"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(1000))
    file_name: Mapped[str] = mapped_column(String(1000))
    sha256: Mapped[str] = mapped_column(String(64))
    full: Mapped[bool] = mapped_column(Boolean)
    rows: Mapped[int] = mapped_column(Integer)  # read from the file (lines and failed rows)
    written: Mapped[int] = mapped_column(Integer)  # invoice lines written (new or changed)
    # Invoices: new, changed, unchanged, voided (missing, `--full`), kept (missing, without
    # `--full`), refused (withheld: a row failed).
    new: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    voided: Mapped[int] = mapped_column(Integer)
    kept: Mapped[int] = mapped_column(Integer)
    refused: Mapped[int] = mapped_column(Integer)
    user_name: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
