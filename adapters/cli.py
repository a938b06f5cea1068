"""The `billing-bot` console script: the core's commands plus the channel ones.

`bot/` may not import adapters, so this module takes the core's click group and adds
`serve` and `teams package`. Both import aiohttp, botbuilder and the core inside the
command, so `billing-bot --help` stays fast.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli import assistant_with_progress, clear_errors, cli, settings_of

if TYPE_CHECKING:
    from adapters.workers import Work


@cli.command()
@click.option("--host", help="Interface to listen on (default: $HOST, else 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default: $PORT, else 3978).")
@click.option(
    "--workers",
    type=click.IntRange(1),
    help="Server processes, each with its own model (default: $WORKERS, else 1); "
    "one per core on a machine of its own.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"], case_sensitive=False),
    default="info",
    show_default=True,
)
@click.pass_context
def serve(
    ctx: click.Context, host: str | None, port: int | None, workers: int | None, log_level: str
) -> None:
    """Run the HTTP server: Teams at /api/messages, Slack when configured, /healthz, /metrics.

    Without TEAMS_APP_ID, Teams runs in local mode (no authentication) for the Bot
    Framework Emulator, on a loopback address only unless TEAMS_LOCAL_MODE=true. The
    outbox dispatcher runs inside the server (in each worker).
    """
    settings = settings_of(ctx)
    workers = workers or settings.workers
    process = " [%(process)d]" if workers > 1 else ""  # which worker said it
    logging.basicConfig(
        level=log_level.upper(),
        format=f"%(asctime)s{process} %(levelname)s %(name)s: %(message)s",
    )
    for chatty in ("alembic", "bm25s", "sentence_transformers"):  # start-up detail, not news
        logging.getLogger(chatty).setLevel(max(logging.WARNING, logging.getLogger().level))
    from adapters.exposure import local_mode_warning
    from adapters.server import serve as run_server
    from adapters.workers import (
        Supervisor,
        each_workers_settings,
        listening_socket,
        reserved_port,
        worker_socket,
    )
    from bot.invoices.folder import load_served
    from bot.knowledge.report import consequences, require_servable
    from bot.storage.stores import Storage

    with clear_errors():
        host = host or settings.host
        port = settings.port if port is None else port
        # Before anything is loaded: an unauthenticated server on a public address is refused.
        if (warning := local_mode_warning(settings, host)) is not None:
            logging.getLogger("adapters.teams").warning("%s", warning)
        storage = Storage.from_url(settings.database)  # the folder's invoices are kept there
        knowledge = require_servable(load_served(settings.knowledge_dir, storage.db))
        for sentence in consequences(knowledge):  # e.g. withheld invoices: the agents' to fix
            logging.getLogger("bot.knowledge").warning("knowledge folder: %s", sentence)
        # One worker listens here; several each listen on the port this process holds.
        sock = listening_socket(host, port) if workers == 1 else reserved_port(host, port)
        bound = sock.getsockname()[1]
        processes = f", {workers} workers" if workers > 1 else ""
        click.echo(
            f"billing-bot serving on http://{host}:{bound}{processes} (Ctrl+C to stop)", err=True
        )

    settings = each_workers_settings(settings, workers)

    def work(_slot: int = 0, listening: Callable[[], None] = lambda: None) -> None:
        with clear_errors():
            assistant = assistant_with_progress(
                settings, knowledge, storage=storage, batch_queries=True
            )
            accepting = sock if workers == 1 else worker_socket(host, bound)
            listening()
            run_server(settings, assistant, sock=accepting)

    if workers == 1:
        work()
        return
    storage.close()  # no connection crosses a fork: each worker opens its own
    ctx.exit(Supervisor(workers, _reporting(work)).run())


def _reporting(work: Work) -> Work:
    """`work` for a forked worker, which click does not run: its error as click shows it."""

    def run(slot: int, listening: Callable[[], None]) -> None:
        try:
            work(slot, listening)
        except click.ClickException as exc:
            exc.show()
            raise SystemExit(exc.exit_code) from exc

    return run


@cli.group()
def teams() -> None:
    """Microsoft Teams: the app package to upload."""


@teams.command("package")
@click.option("--app-id", help="The bot's Microsoft App ID, a GUID (default: $TEAMS_APP_ID).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default="billing-bot-teams.zip",
    show_default=True,
    help="Where to write the zip.",
)
@click.option(
    "--manifest-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder with manifest.json and the icons (default: manifests/teams of this install).",
)
@click.pass_context
def package(
    ctx: click.Context, app_id: str | None, output: Path, manifest_dir: Path | None
) -> None:
    """Build the Teams app package: manifest.json with the app id filled in, and both icons.

    Upload it in Teams (Apps > Manage your apps > Upload an app) or in the Teams admin
    center.
    """
    from adapters.teams.package import build_package

    app_id = app_id or settings_of(ctx).teams_app_id
    if not app_id:
        raise click.UsageError("give --app-id (the bot's Microsoft App ID) or set TEAMS_APP_ID")
    with clear_errors():
        written = build_package(app_id, output, manifest_dir)
    click.echo(f"wrote {written}")


def main() -> None:
    cli(prog_name="billing-bot")


if __name__ == "__main__":
    main()
