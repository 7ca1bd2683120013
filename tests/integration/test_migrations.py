"""Migrations run up and down on SQLite and PostgreSQL; start-up refuses an out-of-date schema."""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import _config, current_revision, downgrade, head_revision, upgrade
from promptwatch.server.store.tables import metadata
from tests.support.databases import fresh_database


def test_upgrade_downgrade_upgrade(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        engine.dispose()


def test_the_start_up_check_agrees_with_alembic(backend, tmp_path):
    """The check reads revision ids without Alembic: it must name the same heads and current revisions."""
    script = ScriptDirectory.from_config(_config())
    assert head_revision() == ",".join(sorted(script.get_heads()))
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        for target in (*script.get_bases(), "heads"):
            upgrade(engine, target)
            with engine.connect() as conn:
                alembic_says = MigrationContext.configure(conn).get_current_heads()
            assert current_revision(engine) == (",".join(sorted(alembic_says)) or None)
        engine.dispose()


def test_up_refuses_an_out_of_date_schema(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM alembic_version")
            conn.exec_driver_sql("INSERT INTO alembic_version (version_num) VALUES ('0000')")
        engine.dispose()
        result = subprocess.run(
            [sys.executable, "-m", "promptwatch.cli", "up", "--port", "1", "--data-dir", str(tmp_path)],
            env={"PROMPTWATCH_DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert "promptwatch db upgrade" in result.stderr


def test_migrations_create_exactly_what_the_tables_declare(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": False})
            diff = [d for d in compare_metadata(context, metadata) if "activity_search" not in str(d)]
        engine.dispose()
        assert diff == [], f"write a migration for: {diff}"
