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

import click

from bot.config import Settings
from bot.errors import BotError


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
    help="The import's name (default: the file's name); importing under it again replaces it.",
)
@click.pass_context
def invoices(
    ctx: click.Context,
    file: Path,
    mapping_file: Path | None,
    preset: str | None,
    at_partner_center_prices: bool,
    source: str | None,
) -> None:
    """Import an invoice export (CSV) from a PSA or billing platform, mapped by MAPPING.

    Idempotent: the same content again changes nothing; a new export under the same name
    replaces the old one. An invoice number also in the knowledge folder or an older
    import is served from the newest import.
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
            )
        store.db.close()
    except BotError as exc:
        raise click.ClickException(str(exc)) from exc
    if done.unchanged:
        click.echo(f"{done.source}: already imported with this content; nothing changed", err=True)
        return
    for problem in done.problems:
        click.echo(str(problem))
    for warning in done.warnings:
        click.echo(str(warning), err=True)
    click.echo(
        f"{done.source}: {done.lines:,} line(s) of {done.invoices:,} invoice(s) imported in "
        f"{time.perf_counter() - started:.1f}s; {len(done.problems):,} row(s) failed",
        err=True,
    )
    if done.withheld:
        shown = ", ".join(done.withheld[:10]) + (" …" if len(done.withheld) > 10 else "")
        click.echo(
            f"  {len(done.withheld):,} invoice(s) withheld from customers until their rows "
            f"are fixed and the file imported again: {shown}",
            err=True,
        )
    ctx.exit(1 if done.problems else 0)
