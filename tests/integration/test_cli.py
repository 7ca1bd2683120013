"""The `promptwatch` command as a new user meets it: run in its own process, it creates a store only when
asked to (`up`, `db upgrade`), says what went wrong in one line, and shows what `keys revoke` needs."""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import get_args

import pytest
from typer.testing import CliRunner

from promptwatch.cli.app import app
from promptwatch.server.api.operator import Broadcast
from promptwatch.server.constants import LEAD_STATUSES, OUTBOX_STATUSES, SCOPES
from promptwatch.server.errors import Unauthenticated
from promptwatch.server.services.audit import AuditService
from promptwatch.server.services.credentials import Caller
from promptwatch.server.services.plans import PLANS
from promptwatch.server.store.schema_version import head_revision
from promptwatch.server.store.tables.accounts import INSTANCE_ROLES, ROLES
from promptwatch.server.store.tables.mail import PROMOTIONAL
from promptwatch.server.store.tables.policies import KINDS as POLICY_KINDS
from tests.support.payloads import session, uid
from tests.support.server import TEST_ENV, LiveServer, provision

AUDIENCES = get_args(Broadcast.model_fields["audience"].annotation)


def promptwatch(*args: str, home: Path, database_url: str | None = None, columns: int = 200, **settings: str):
    """The command in its own process; `settings` as PROMPTWATCH_<NAME> environment variables."""
    env = {**TEST_ENV, "PATH": "/usr/bin:/bin", "HOME": str(home), "COLUMNS": str(columns)}
    env.update({f"PROMPTWATCH_{name.upper()}": value for name, value in settings.items()})
    if database_url:
        env["PROMPTWATCH_DATABASE_URL"] = database_url
    return subprocess.run(
        [sys.executable, "-m", "promptwatch.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str, code: int = 1) -> None:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert all(word in lines[0] for word in words), lines[0]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> LiveServer:
    """A SQLite store as the first `promptwatch up` leaves it; commands reach it with --data-dir alone."""
    directory = tmp_path_factory.mktemp("store")
    return provision(f"sqlite:///{directory / 'promptwatch.db'}", directory)


def in_store(store: LiveServer, *args: str, columns: int = 200):
    return promptwatch(*args, "--data-dir", str(store.data_dir), home=store.data_dir, columns=columns)


def test_up_on_a_taken_port_fails_before_it_creates_the_store_or_prints_credentials(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = promptwatch("up", "--port", str(port), "--data-dir", str(tmp_path / "new"), home=tmp_path)
    assert_one_line_error(result, f"127.0.0.1:{port}", "in use", "--port")
    assert "password" not in result.stdout + result.stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["keys", "list"],
        ["keys", "create", "--scope", "admin"],
        ["keys", "revoke", "pk_x"],
        ["users", "reset-password", "owner@localhost"],
        ["export", "--out", "x.zip"],
        ["backup"],
        ["cleanup"],
        ["db", "current"],
        ["db", "downgrade", "base"],
    ],
)
def test_commands_find_a_store_and_never_create_one(command, tmp_path):
    wrong = tmp_path / "wrong"
    result = promptwatch(*command, "--data-dir", str(wrong), home=tmp_path)
    assert_one_line_error(result, f"no PromptWatch store at {wrong}", f"promptwatch up --data-dir {wrong}")
    assert not wrong.exists()


def test_without_data_dir_the_default_store_is_looked_for_not_created(tmp_path):
    result = promptwatch("keys", "list", home=tmp_path)
    assert_one_line_error(result, f"no PromptWatch store at {tmp_path / '.promptwatch'}")
    assert not (tmp_path / ".promptwatch").exists()


def test_keys_create_on_a_store_without_an_account_says_to_start_it(tmp_path):
    assert promptwatch("db", "upgrade", "--data-dir", str(tmp_path), home=tmp_path).returncode == 0
    assert_one_line_error(promptwatch("keys", "create", "--data-dir", str(tmp_path), home=tmp_path), "promptwatch up")


def test_user_mistakes_are_one_line_errors(store, tmp_path):
    assert_one_line_error(in_store(store, "keys", "revoke", "pk_nope"), "pk_nope")
    assert_one_line_error(in_store(store, "export", "--out", "/nonexistent/x.zip"), "/nonexistent/x.zip")
    assert_one_line_error(in_store(store, "export", "--out", str(tmp_path / "x.zip"), "--account", "99"), "99")
    assert not (tmp_path / "x.zip").exists()
    assert_one_line_error(in_store(store, "users", "reset-password", "nobody@example.test"), "nobody@example.test")
    assert_one_line_error(in_store(store, "db", "downgrade", "nonsense"), "nonsense")
    nobody = tmp_path / "nobody.zip"
    assert_one_line_error(in_store(store, "export", "--out", str(nobody), "--tenant", "nobody"), "'nobody'")
    assert not nobody.exists()


# every option or argument of a fixed set of values: (command with "bogus" in the value's place, its name, the
# values it takes as the server knows them)
TEXT = __file__  # a file for --file, never read: the value is refused first
WITH_CHOICES = [
    (["keys", "create", "--scope", "bogus"], "--scope", SCOPES),
    (["staff", "create", "new-staff@example.test", "--role", "bogus"], "--role", INSTANCE_ROLES),
    (["users", "set-role", "someone@example.test", "bogus", "--account", "1"], "ROLE", ROLES),
    (["invoices", "plan", "1", "bogus"], "PLAN", tuple(PLANS)),
    (["policy", "announce", "--effective", "2099-01-01", "--file", TEXT, "--kind", "bogus"], "--kind", POLICY_KINDS),
    (["mail", "outbox", "--status", "bogus"], "--status", OUTBOX_STATUSES),
    (["mail", "broadcast", "--subject", "s", "--file", TEXT, "--category", "bogus"], "--category", PROMOTIONAL),
    (["mail", "broadcast", "--subject", "s", "--file", TEXT, "--audience", "bogus"], "--audience", AUDIENCES),
    (["customers", "leads", "--status", "bogus"], "--status", LEAD_STATUSES),
]


@pytest.mark.parametrize(
    ("command", "name", "values"), WITH_CHOICES, ids=[f"{' '.join(c[:2])} {n}" for c, n, _ in WITH_CHOICES]
)
def test_a_value_outside_its_set_is_a_usage_error_naming_the_option_and_its_values(store, command, name, values):
    result = in_store(store, *command)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and not result.stdout
    said = re.search(rf"Invalid value for '{name}': .*'bogus' is not one of (.*)\.$", result.stderr, re.MULTILINE)
    assert said, result.stderr
    assert re.findall(r"'(\w+)'", said.group(1)) == list(values), "the values the server takes, no more, no less"


def test_keys_list_shows_whole_key_ids_and_dates_in_80_columns(store):
    created = in_store(store, "keys", "create", "--scope", "read", "--name", "a rather long name", "--project", "p1")
    key_id = re.search(r"key id: (\S+)", created.stdout).group(1)
    assert in_store(store, "keys", "revoke", key_id).returncode == 0
    in_store(store, "keys", "create", "--name", "a-name-without-any-spaces-in-it", "--project", "a-long-project-name")
    listed = in_store(store, "keys", "list", columns=80)
    assert listed.returncode == 0, listed.stderr
    assert all(len(line) <= 80 for line in listed.stdout.splitlines())
    assert key_id in listed.stdout and re.search(r"pk_\w{16}", listed.stdout)
    assert "…" not in listed.stdout, listed.stdout
    dates = re.findall(r"\d{4}-[\d-]*", listed.stdout)
    assert dates and all(re.fullmatch(r"\d{4}-\d\d-\d\d", date) for date in dates), listed.stdout
    wide = in_store(store, "keys", "list", columns=120).stdout  # wide enough: a key on one line
    assert re.search(rf"{key_id} +a rather long name +read +p1 +\S+ +never +revoked \d{{4}}-\d\d-\d\d *\n", wide), wide
    narrow = in_store(store, "keys", "list", columns=60).stdout
    assert key_id in narrow and "…" not in narrow, narrow  # narrower still, the dates fold, never a key id


def test_revoking_a_revoked_key_says_so_and_succeeds(store):
    created = in_store(store, "keys", "create", "--name", "twice")
    key_id = re.search(r"key id: (\S+)", created.stdout).group(1)
    assert in_store(store, "keys", "revoke", key_id).returncode == 0
    again = in_store(store, "keys", "revoke", key_id)
    assert again.returncode == 0, again.stderr
    assert re.search(rf"{key_id} was already revoked on \d{{4}}-\d\d-\d\d", again.stdout), again.stdout


def test_db_current_never_cuts_a_revision_id_in_80_columns(store):
    shown = in_store(store, "db", "current", columns=80)
    assert shown.returncode == 0, shown.stderr
    heads = head_revision().split(",")
    assert all(shown.stdout.count(head) == 2 for head in heads), shown.stdout  # the database's and the needed


def test_users_reset_password_gives_the_owner_a_new_one(store):
    result = in_store(store, "users", "reset-password", store.first.owner_email)
    assert result.returncode == 0, result.stderr
    password = result.stdout.strip().splitlines()[-1]
    accounts = store.accounts()
    assert accounts.login(store.first.owner_email, password)["token"]
    with pytest.raises(Unauthenticated):
        accounts.login(store.first.owner_email, store.first.owner_password)
    store.first.owner_password = password
    owner = Caller(store.first.account_id, "admin", role="owner")
    logged = AuditService(accounts._rt).list(owner, 10, None, "user.password_reset")["items"]
    assert [(e["actor"], e["action"]) for e in logged] == [("command line", "user.password_reset")]


def test_cli_keys_create_list_revoke_offline(live_server, tmp_path):
    def cli(*args: str):
        return promptwatch(
            *args, "--data-dir", str(live_server.data_dir), home=tmp_path, database_url=live_server.database_url
        )

    created = cli("keys", "create", "--scope", "read", "--name", "cli-made")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    key_id = base64.b64decode(key).decode().split(":")[0]
    with live_server.client(key) as client:
        assert client.get("/api/v1/sessions").status_code == 200
    listed = cli("keys", "list")
    assert key_id in listed.stdout and key not in listed.stdout
    assert cli("keys", "revoke", key_id).returncode == 0
    with live_server.client(key) as client:
        for _ in range(30):  # the server trusts a checked key for a few seconds
            if client.get("/api/v1/sessions").status_code == 401:
                break
            time.sleep(0.2)
        assert client.get("/api/v1/sessions").status_code == 401


def test_export_of_one_tenant_holds_its_sessions(live_server, tmp_path):
    tenant, sid = uid("tenant-"), uid("s-")
    with live_server.client(live_server.first.api_key) as client:
        client.post("/api/v1/ingest", json={"sessions": [session(sid, tracking_tenant=tenant)]})
    out = tmp_path / "tenant.zip"
    exported = promptwatch(
        *("export", "--out", str(out), "--tenant", tenant, "--data-dir", str(live_server.data_dir)),
        home=tmp_path,
        database_url=live_server.database_url,
    )
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(out) as archive:
        assert sid in archive.read("sessions.jsonl").decode()


def every_command() -> list[list[str]]:
    found = [[]] + [[c.name] for c in app.registered_commands]
    for group in app.registered_groups:
        found += [[group.name]] + [[group.name, c.name] for c in group.typer_instance.registered_commands]
    return found


@pytest.mark.parametrize("command", every_command(), ids=" ".join)
def test_every_command_has_help_in_plain_words(command):
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "Usage" in result.output, result.output
    assert not re.search(r"\(P\d", result.output), "help quotes clause codes users do not know"
    assert "<bool>" not in result.output, "a flag takes no value"
    assert not re.search(r"\{[a-z_]+\}", result.output), "arguments are named in capitals, like {KEY_ID}"
    if "--data-dir" in result.output:
        assert "[default:" in result.output and ".promptwatch" in result.output
        assert not re.search(r"\w \.", result.output), "a stray space before a full stop"


def test_keys_list_json_gives_one_object_per_key_for_scripts(store):
    created = in_store(store, "keys", "create", "--name", "support bot", "--project", "a-long-project-name")
    key_id = re.search(r"key id: (\S+)", created.stdout).group(1)
    listed = in_store(store, "keys", "list", "--json", columns=40)
    assert listed.returncode == 0, listed.stderr
    keys = {k["key_id"]: k for k in map(json.loads, listed.stdout.splitlines())}
    mine = keys[key_id]
    assert (mine["name"], mine["project"], mine["scope"], mine["revoked_at"]) == (
        "support bot",
        "a-long-project-name",
        "ingest",
        None,
    )
    assert datetime.fromisoformat(mine["created_at"]).utcoffset() == timedelta(0)


def test_accounts_create_opens_an_account_with_its_owner_and_a_key_printed_once(store):
    owner = f"owner-{uid()}@example.test"
    created = in_store(store, "accounts", "create", "Acme Support", "--owner", owner)
    assert created.returncode == 0, created.stderr
    account_id = int(re.search(r"account (\d+) \(Acme Support\) created", created.stderr).group(1))
    password, key = created.stdout.split()
    accounts = store.accounts()
    token = accounts.login(owner, password)["token"]
    assert token
    listed = in_store(store, "keys", "list", "--account", str(account_id), "--json")
    assert [k["name"] for k in map(json.loads, listed.stdout.splitlines())] == ["first key"]
    caller = accounts._rt.keys.authenticate(key)
    assert (caller.account_id, caller.scope) == (account_id, "ingest")
    again = in_store(store, "accounts", "create", "Acme Labs", "--owner", owner)  # a known owner keeps theirs
    assert again.returncode == 0 and len(again.stdout.split()) == 1, again.stdout + again.stderr
    assert accounts.login(owner, password)["token"]
    bad = in_store(store, "accounts", "create", "Nobody", "--owner", "not-an-email")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr, bad.stderr
