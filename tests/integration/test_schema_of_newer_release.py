"""A database whose schema a newer release made (its `alembic_version` names a revision this release does not
know): `up` and `db upgrade` say so in one line, naming the revision, and readiness says the same."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from promptwatch.server.store.engine import make_engine
from tests.integration.test_cli import assert_one_line_error, promptwatch
from tests.support.server import free_port

pytestmark = pytest.mark.timeout(180)

NEWER = "f00dfacade99"  # a migration of a later release
SAID = ("made by a newer PromptWatch", NEWER, "run that release", "restore a backup")


def test_a_schema_of_a_newer_release_is_named_by_up_db_upgrade_and_readiness(fresh_server):
    server = fresh_server().start()
    engine = make_engine(server.database_url)
    with engine.begin() as conn:  # the later release migrated one table's branch past this release's head
        head = conn.execute(text("SELECT min(version_num) FROM alembic_version")).scalar()
        conn.execute(
            text("UPDATE alembic_version SET version_num = :newer WHERE version_num = :head"),
            {
                "newer": NEWER,
                "head": head,
            },
        )
    engine.dispose()
    with server.client() as client:
        ready = client.get("/api/v1/ready")
    assert ready.status_code == 503, ready.text
    assert all(words in ready.json()["detail"] for words in SAID), ready.json()
    server.stop()
    where = {"database_url": server.database_url, "home": server.data_dir}
    started = promptwatch("up", "--port", str(free_port()), "--data-dir", str(server.data_dir), **where)
    assert_one_line_error(started, *SAID)
    upgraded = promptwatch("db", "upgrade", "--data-dir", str(server.data_dir), **where)
    assert_one_line_error(upgraded, *SAID)
