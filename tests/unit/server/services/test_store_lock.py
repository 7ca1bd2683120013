"""The store's lock: servers share it, a command that rewrites the store holds it alone, nobody waits; a SQLite
store has one server at a time."""

from __future__ import annotations

import re

import pytest

from promptwatch.server.errors import Conflict
from promptwatch.server.services.store_lock import rewriting, serving
from promptwatch.server.settings import Settings

POSTGRESQL = "postgresql+psycopg://nobody@127.0.0.1:1/never"  # never connected to: the lock is about the URL


def test_servers_on_one_postgresql_share_the_store_and_a_rewriting_command_refuses_while_one_runs(tmp_path):
    settings = Settings(data_dir=tmp_path / "store", database_url=POSTGRESQL)
    refused = pytest.raises(Conflict, match="server has the store at .* open; stop the server first")
    with serving(settings), serving(settings), refused, rewriting(settings):
        pytest.fail("rewrote the store under a running server")
    with rewriting(settings):  # the servers are gone: their lock with them
        pass


def test_a_sqlite_store_has_one_server_and_a_rewriting_command_refuses_while_it_runs(tmp_path):
    settings = Settings(data_dir=tmp_path / "store")
    second = pytest.raises(Conflict, match=re.escape(f"server already serves the store at {tmp_path / 'store'};"))
    with serving(settings):
        with second, serving(settings):
            pytest.fail("two servers on one SQLite store")
        with pytest.raises(Conflict, match="stop the server first"), rewriting(settings):
            pytest.fail("rewrote the store under a running server")
    with serving(settings):  # the first is gone: its lock with it
        pass


def test_a_server_and_a_second_command_refuse_while_a_command_rewrites_the_store(tmp_path):
    settings = Settings(data_dir=tmp_path)
    with rewriting(settings):
        with pytest.raises(Conflict, match="start the server when it is done"), serving(settings):
            pytest.fail("served a store that is being rewritten")
        with pytest.raises(Conflict, match="another command is restoring or migrating"), rewriting(settings):
            pytest.fail("two commands rewrote the store at once")
    with serving(settings):
        pass


def test_two_data_dirs_naming_one_sqlite_file_are_one_store(tmp_path):
    database = f"sqlite:///{tmp_path / 'shared.db'}"
    first = Settings(data_dir=tmp_path / "one", database_url=database)
    second = Settings(data_dir=tmp_path / "two", database_url=database)
    with serving(first), pytest.raises(Conflict, match="server already serves the store"), serving(second):
        pytest.fail("two servers on one SQLite file")
    with serving(Settings(data_dir=tmp_path / "two")):  # another file: another store
        pass
