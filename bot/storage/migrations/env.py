"""Alembic environment for the ticket store.

Run programmatically by `bot.storage.database.upgrade`, which passes an open connection
(already inside a transaction holding the migration lock) as `config.attributes["connection"]`.
Without one (the `alembic` command line: `-c bot/storage/migrations/alembic.ini -x url=...`),
it connects itself.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context

import bot.invoices.models  # noqa: F401  (its tables share the schema)
from bot.storage.database import make_engine
from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("pass the database with: alembic -x url=<sqlalchemy url> ...")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    engine = make_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


run()
