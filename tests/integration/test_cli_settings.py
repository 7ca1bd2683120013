"""Settings that stop every command before it does anything, with one line naming the variable: a public URL
that is not an absolute http(s) URL, policy holidays that are not dates, a backup directory `up` cannot write
(with scheduled backups on), and `up --workers 0`. A `PROMPTWATCH_` variable that is no setting, a misspelt one
say, is a warning naming the closest setting; the command goes on (other tools may use the prefix)."""

from __future__ import annotations

import pytest

from tests.integration.test_cli import assert_one_line_error, promptwatch
from tests.integration.test_cli import store as store  # a SQLite store as the first `up` leaves it
from tests.integration.test_cli_startup import assert_nothing_created, up

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize(
    ("setting", "value", "line"),
    [
        ("public_url", "notaurl", "PROMPTWATCH_PUBLIC_URL: must be an absolute http(s) URL"),
        ("public_url", "ftp://pw.example.com", "PROMPTWATCH_PUBLIC_URL: must be an absolute http(s) URL"),
        ("public_url", "https://", "PROMPTWATCH_PUBLIC_URL: must be an absolute http(s) URL"),
        ("policy_holidays", "2026-12-24, notadate", "PROMPTWATCH_POLICY_HOLIDAYS: 'notadate' is not a date"),
        ("log_level", "loud", "PROMPTWATCH_LOG_LEVEL: Input should be 'debug', 'info', 'warning'"),
        ("log_format", "xml", "PROMPTWATCH_LOG_FORMAT: Input should be 'text' or 'json'"),
    ],
)
@pytest.mark.parametrize("command", [["up"], ["keys", "list"], ["db", "upgrade"]])
def test_a_setting_of_a_value_it_does_not_take_stops_every_command(command, setting, value, line, tmp_path):
    if command == ["up"]:
        result = up(tmp_path, **{setting: value})
        assert_nothing_created(result, tmp_path)
    else:
        result = promptwatch(*command, "--data-dir", str(tmp_path / "new"), home=tmp_path, **{setting: value})
    assert_one_line_error(result, line)


def test_up_with_a_backup_directory_it_cannot_make_says_so_and_creates_nothing(tmp_path):
    """Checked with scheduled backups on: the server would write there."""
    regular_file = tmp_path / "a-file"
    regular_file.write_text("")
    result = up(tmp_path, backup_dir=str(regular_file), backup_interval_hours="24")
    assert_one_line_error(result, f"PROMPTWATCH_BACKUP_DIR: {regular_file} is not a directory")
    assert_nothing_created(result, tmp_path)
    result = up(tmp_path, backup_dir=str(regular_file / "backups"), backup_interval_hours="24")
    assert_one_line_error(
        result, f"PROMPTWATCH_BACKUP_DIR: {regular_file / 'backups'} cannot be made: {regular_file} is not a directory"
    )
    assert_nothing_created(result, tmp_path)


@pytest.mark.parametrize("workers", ["0", "-2"])
def test_up_with_fewer_than_one_worker_is_a_usage_error(workers, tmp_path):
    result = up(tmp_path, "--workers", workers)
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "--workers" in result.stderr and "at least 1" in result.stderr
    assert_nothing_created(result, tmp_path)


def test_a_prefixed_variable_that_is_no_setting_is_a_warning_naming_the_closest(store):
    result = promptwatch(
        "keys",
        "list",
        "--data-dir",
        str(store.data_dir),
        home=store.data_dir,
        backup_dri="/srv/backups",  # misspelt
        log_levl="info",  # misspelt
        api_key="from-the-sdk",  # the SDK's, in the same shell
        other_tool_token="x",  # another tool's
        fuzz_examples="100",  # the test suite's own, as CI sets it
        public_url="https://pw.example.com/base/",  # and good values of the settings above
        policy_holidays="2026-12-24, 2026-12-25",
        log_level="INFO",
        log_format="json",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "warning: PROMPTWATCH_BACKUP_DRI is not a PromptWatch setting; did you mean PROMPTWATCH_BACKUP_DIR?",
        "warning: PROMPTWATCH_LOG_LEVL is not a PromptWatch setting; did you mean PROMPTWATCH_LOG_LEVEL?",
        "warning: PROMPTWATCH_OTHER_TOOL_TOKEN is not a PromptWatch setting (ignored)",
    ]
    assert "key id" in result.stdout
