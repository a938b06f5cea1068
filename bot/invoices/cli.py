"""`billing-bot import invoices FILE --mapping MAPPING.yaml`: a partner's invoice export into
the database the bot answers from (see `bot.invoices.importer`).

Prints each row that failed as `file:line:column: message`, then what was imported; exits 0
when every row was imported, 1 when some failed (their invoices are withheld) or the file was
refused (nothing imported).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from bot.config import Settings
from bot.errors import BotError
from bot.locale.formats import counted


@click.group("import")
def import_group() -> None:
    """Import data into the database: partners' invoice exports."""


@import_group.command("invoices")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    "mapping_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML naming the export's columns (docs/invoice-mapping.example.yaml).",
)
@click.option(
    "--preset",
    type=click.Choice(["pax8", "xero", "autotask"]),
    help="The shipped mapping of a billing platform's export (instead of --mapping).",
)
@click.option(
    "--at-partner-center-prices",
    is_flag=True,
    help="Import a Partner Center reconciliation file as customer invoices: only if you "
    "bill your customers at exactly Microsoft's prices.",
)
@click.option(
    "--source",
    help="The import's name (default: the file's name); importing under it again updates it.",
)
@click.option(
    "--full",
    is_flag=True,
    help="The file lists every invoice of the source: one it no longer names is voided "
    "(never served again). Without it, such an invoice is kept as it was.",
)
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.pass_context
def invoices(
    ctx: click.Context,
    file: Path,
    mapping_file: Path | None,
    preset: str | None,
    at_partner_center_prices: bool,
    source: str | None,
    full: bool,
    dry_run: bool,
) -> None:
    """Import an invoice export (CSV) from a PSA or billing platform, mapped by MAPPING.

    Idempotent: the same content again changes nothing; a new export under the same name
    writes only the lines that changed, in one transaction. An invoice number also in the
    knowledge folder or an older import is served from the newest import.
    """
    from tqdm import tqdm

    from bot.invoices.customers import load_matcher
    from bot.invoices.importer import import_file
    from bot.invoices.mapping import load_mapping, load_preset
    from bot.invoices.store import InvoiceStore

    settings = ctx.find_object(Settings)
    if settings is None:
        raise click.UsageError("no settings: run this through `billing-bot import invoices`")
    if (mapping_file is None) == (preset is None):
        raise click.UsageError("give either --preset or --mapping")
    started = time.perf_counter()
    try:
        mapping = load_preset(preset) if preset else load_mapping(mapping_file)  # type: ignore[arg-type]
        customers = load_matcher(settings.knowledge_dir)
        store = InvoiceStore.from_url(settings.database)
        size = file.stat().st_size
        with tqdm(
            total=size,
            desc=f"importing {file.name}",
            unit="B",
            unit_scale=True,
            file=sys.stderr,
            disable=None,
        ) as bar:

            def progress(read: int) -> None:
                bar.update(read - bar.n)

            done = import_file(
                store,
                file,
                mapping,
                source=source,
                progress=progress,
                customers=customers,
                partner_center_prices=at_partner_center_prices,
                full=full,
                dry_run=dry_run,
            )
        store.db.close()
    except BotError as exc:
        raise click.ClickException(str(exc)) from exc
    if done.unchanged:
        click.echo(f"{done.source}: already imported with this content; nothing changed", err=True)
        return
    if done.dry_run:
        _print_changes(done)
        ctx.exit(1 if done.problems else 0)
    _print_outcome(done, time.perf_counter() - started)
    ctx.exit(1 if done.problems else 0)


def _print_outcome(done: Any, seconds: float) -> None:
    """An import: its failed rows (stdout), warnings and what it did (stderr)."""
    for problem in done.problems:
        click.echo(str(problem))
    for warning in done.warnings:
        click.echo(str(warning), err=True)
    click.echo(
        f"{done.source}: {counted(done.lines, 'line', 'lines')} of "
        f"{counted(done.invoices, 'invoice', 'invoices')} imported in "
        f"{seconds:.1f}s; "
        f"{counted(len(done.problems), 'row', 'rows')} failed",
        err=True,
    )
    if done.counts is not None:
        click.echo(
            f"  invoices: {_summary(done.counts.totals)}; "
            f"{counted(done.counts.written, 'line', 'lines')} written",
            err=True,
        )
    if done.withheld:
        shown = ", ".join(done.withheld[:10]) + (" …" if len(done.withheld) > 10 else "")
        click.echo(
            f"  {counted(len(done.withheld), 'invoice', 'invoices')} withheld from customers "
            f"until their rows are fixed and the file imported again: {shown}",
            err=True,
        )


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[kind]:,} {kind}" for kind in counts)


def _print_changes(done: Any) -> None:
    """A dry run: per customer, the invoices that would be new, changed, ... (stdout)."""
    from bot.invoices.reimport import KINDS

    counts = done.counts
    for problem in done.problems:
        click.echo(str(problem), err=True)
    click.echo(f"{done.source}: dry run, nothing written; "
               f"{counted(counts.written, 'line', 'lines')} would be written")  # fmt: skip
    click.echo("customer".ljust(24) + "".join(kind.rjust(10) for kind in KINDS))
    for customer, per in sorted(counts.customers.items()):
        click.echo(customer[:23].ljust(24) + "".join(f"{per[k]:>10,}" for k in KINDS))
    click.echo("total".ljust(24) + "".join(f"{counts.totals[k]:>10,}" for k in KINDS))


@import_group.command("history")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per import.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.pass_context
def history(ctx: click.Context, as_json: bool, limit: int) -> None:
    """The imports made, newest first: file hash, rows, invoices per kind, who, when."""
    import json

    from bot.invoices.reimport import KINDS
    from bot.invoices.reimport import history as read_history
    from bot.invoices.store import InvoiceStore

    settings = ctx.find_object(Settings)
    if settings is None:
        raise click.UsageError("no settings: run this through `billing-bot import history`")
    store = InvoiceStore.from_url(settings.database)
    try:
        runs = read_history(store, limit)
    finally:
        store.db.close()
    for run in runs:
        if as_json:
            click.echo(json.dumps(run, default=str, sort_keys=True))
            continue
        counts = _summary({kind: run[kind] for kind in KINDS})
        click.echo(
            f"{run['finished_at']:%Y-%m-%d %H:%M:%S} {run['source']} ({run['file_name']}, "
            f"sha256 {run['sha256'][:12]}) by {run['user_name']}{' --full' if run['full'] else ''}"
            f": {counted(run['rows'], 'row', 'rows')}, "
            f"{counted(run['written'], 'line', 'lines')} written; {counts}"
        )
