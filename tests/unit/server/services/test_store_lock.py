"""The store's lock: servers share it, a command that rewrites the store holds it alone, nobody waits."""

from __future__ import annotations

import pytest

from promptwatch.server.errors import Conflict
from promptwatch.server.services.store_lock import rewriting, serving
from promptwatch.server.settings import Settings


def test_servers_share_the_store_and_a_rewriting_command_refuses_while_one_runs(tmp_path):
    settings = Settings(data_dir=tmp_path / "store")
    refused = pytest.raises(Conflict, match="server has the store at .* open; stop the server first")
    with serving(settings), serving(settings), refused, rewriting(settings):  # servers on one PostgreSQL share it
        pytest.fail("rewrote the store under a running server")
    with rewriting(settings):  # the servers are gone: their lock with them
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
