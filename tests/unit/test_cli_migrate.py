"""`billing-bot migrate` brings a database to the newest schema and says where."""

from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text

from adapters.cli import cli


def test_migrate_creates_the_schema_of_an_empty_database(tmp_path, monkeypatch):
    url = f"sqlite:///{(tmp_path / 'billing.db').as_posix()}"
    monkeypatch.setenv("DATABASE_URL", url)

    result = CliRunner().invoke(cli, ["migrate"])

    assert result.exit_code == 0, result.output
    assert "database at the newest schema: sqlite:///" in result.output
    engine = create_engine(url)
    assert {"tickets", "outbox", "alembic_version"} <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    again = CliRunner().invoke(cli, ["migrate"])  # already there: nothing to do, no error
    assert again.exit_code == 0, again.output
