"""What stops a command before it serves or opens the store is one line: wrong settings, a database URL of
an unknown scheme, a PostgreSQL database that does not exist or a server that does not answer, and the TLS
files of `up`, which are checked before a first run creates anything. Also key expiry and the key list's
width."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy.engine import make_url

from promptwatch.server.services.clock import utc_now
from promptwatch.server.services.credentials import Caller
from promptwatch.server.tls import self_signed_pair
from tests.integration.test_cli import assert_one_line_error, in_store, promptwatch
from tests.integration.test_cli import store as store  # a SQLite store as the first `up` leaves it
from tests.support.databases import ADMIN_URL, fresh_database
from tests.support.server import free_port

pytestmark = pytest.mark.timeout(120)


def up(tmp_path, *args: str, **settings: str):
    """`up` on a new data dir and a free port (the checks below all stop it before it serves)."""
    data_dir = str(tmp_path / "new")
    return promptwatch("up", "--port", str(free_port()), "--data-dir", data_dir, *args, home=tmp_path, **settings)


def assert_nothing_created(result, tmp_path) -> None:
    assert "password" not in result.stdout + result.stderr
    assert not (tmp_path / "new").exists()


def test_a_wrong_setting_is_a_line_naming_its_variable_and_up_creates_nothing(tmp_path):
    result = up(tmp_path, backup_retention_days="90")
    assert_one_line_error(result, "PROMPTWATCH_BACKUP_RETENTION_DAYS: must be at most 60")
    assert_nothing_created(result, tmp_path)


def test_every_wrong_setting_has_its_line(tmp_path):
    result = promptwatch("keys", "list", home=tmp_path, backup_retention_days="90", smtp_port="70000")
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.splitlines() == [
        "error: PROMPTWATCH_BACKUP_RETENTION_DAYS: must be at most 60",
        "error: PROMPTWATCH_SMTP_PORT: must be at most 65535",
    ]


@pytest.mark.parametrize("command", [["up"], ["db", "upgrade"], ["keys", "list"]])
def test_a_database_url_of_an_unknown_scheme_is_one_line(command, tmp_path):
    if command == ["up"]:
        result = up(tmp_path, database_url="mysql://user@db.example.com/pw")
    else:
        result = promptwatch(*command, home=tmp_path, database_url="mysql://user@db.example.com/pw")
    assert_one_line_error(result, "PROMPTWATCH_DATABASE_URL", "unknown database scheme mysql://")


@pytest.mark.parametrize("command", [["up"], ["db", "upgrade"], ["db", "current"], ["keys", "list"]])
def test_a_postgresql_server_that_does_not_answer_is_one_line(command, tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/promptwatch"
    result = (
        up(tmp_path, database_url=url) if command == ["up"] else promptwatch(*command, home=tmp_path, database_url=url)
    )
    assert_one_line_error(result, "cannot connect to the database 'promptwatch' at 127.0.0.1:", "Connection refused")
    assert "password" not in result.stdout


@pytest.mark.postgresql
@pytest.mark.parametrize("command", [["up"], ["db", "upgrade"], ["keys", "list"]])
def test_a_postgresql_database_that_does_not_exist_is_one_line(backend, command, tmp_path):
    url = make_url(ADMIN_URL).set(database="pw_no_such_database").render_as_string(hide_password=False)
    result = (
        up(tmp_path, database_url=url) if command == ["up"] else promptwatch(*command, home=tmp_path, database_url=url)
    )
    assert_one_line_error(result, "'pw_no_such_database'", 'database "pw_no_such_database" does not exist')


@pytest.mark.postgresql
def test_a_postgres_url_as_hosts_hand_it_out_is_postgresql(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        heroku = make_url(url).set(drivername="postgres").render_as_string(hide_password=False)
        assert heroku.startswith("postgres://")
        upgraded = promptwatch("db", "upgrade", "--data-dir", str(tmp_path), home=tmp_path, database_url=heroku)
        assert upgraded.returncode == 0, upgraded.stderr
        current = promptwatch("db", "current", "--data-dir", str(tmp_path), home=tmp_path, database_url=heroku)
        assert current.returncode == 0 and "empty" not in current.stdout, current.stdout + current.stderr


def test_up_with_tls_files_that_do_not_exist_names_the_file_and_creates_nothing(tmp_path):
    result = up(tmp_path, "--tls-cert", "/nonexistent.pem", "--tls-key", "/nonexistent.key")
    assert_one_line_error(result, "--tls-cert /nonexistent.pem: No such file or directory")
    assert_nothing_created(result, tmp_path)
    cert, _ = self_signed_pair(tmp_path / "pair")
    result = up(tmp_path, "--tls-cert", str(cert), "--tls-key", "/nonexistent.key")
    assert_one_line_error(result, "--tls-key /nonexistent.key: No such file or directory")
    assert_nothing_created(result, tmp_path)


def test_up_with_a_key_of_another_certificate_creates_nothing(tmp_path):
    cert, _ = self_signed_pair(tmp_path / "one")
    _, other_key = self_signed_pair(tmp_path / "two")
    result = up(tmp_path, "--tls-cert", str(cert), "--tls-key", str(other_key))
    assert_one_line_error(result, str(cert), str(other_key), "not a PEM certificate and its unencrypted private key")
    assert_nothing_created(result, tmp_path)
    result = up(tmp_path, "--tls-cert", str(cert), "--tls-key", str(cert))  # a certificate is no key
    assert_one_line_error(result, "not a PEM certificate and its unencrypted private key")
    assert_nothing_created(result, tmp_path)


def test_keys_create_sets_an_expiry_in_days(store):
    created = in_store(store, "keys", "create", "--name", "for-a-month", "--expires-in-days", "30")
    assert created.returncode == 0, created.stderr
    key_id = re.search(r"key id: (\S+)", created.stdout).group(1)
    expires = utc_now() + timedelta(days=30)
    assert f"expires: {expires:%Y-%m-%d}" in created.stdout, created.stdout
    listed = in_store(store, "keys", "list").stdout
    assert re.search(rf"{key_id} .* expires {expires:%Y-%m-%d}\n", listed), listed
    admin = Caller(account_id=store.first.account_id, scope="admin")
    [key] = [k for k in store.accounts().list_keys(admin) if k["key_id"] == key_id]
    assert abs(key["expires_at"] - expires) < timedelta(minutes=5)


@pytest.mark.parametrize("days", ["0", "-1", "3000000"])
def test_an_expiry_the_api_refuses_is_a_usage_error(store, days):
    result = in_store(store, "keys", "create", "--expires-in-days", days)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "--expires-in-days" in result.stderr


def test_keys_list_puts_a_key_on_one_line_in_120_columns(store):
    in_store(store, "keys", "create", "--name", "one-line", "--project", "p2")
    listed = in_store(store, "keys", "list", columns=120)
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if line.strip()]
    assert all(len(line) <= 120 for line in lines)
    assert re.fullmatch(r"key id +name +scope +project +created +last used +state *", lines[0]), listed.stdout
    row = next(line for line in lines if "one-line" in line)
    assert re.search(r"pk_\w{16} +one-line +ingest +p2 +\d{4}-\d\d-\d\d +never +active *$", row), listed.stdout
    keys = [line for line in lines if re.match(r"pk_\w{16}", line)]
    assert len(keys) == len(lines) - 2  # the heading and its rule, then a line per key
