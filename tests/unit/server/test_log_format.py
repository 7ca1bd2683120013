"""The server's log lines: time (UTC), level and logger before the message; as JSON, one object per record
with its traceback inside, so that a log shipper reads a record per line."""

from __future__ import annotations

import json
import logging
import re
import sys

from promptwatch.server.log_format import JsonFormatter, TextFormatter

UTC_TIME = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


def failed_record() -> logging.LogRecord:
    try:
        raise ValueError("the disk\nis full")
    except ValueError:
        return logging.LogRecord(
            "promptwatch.jobs", logging.ERROR, __file__, 1, "job %s failed", ("backup",), sys.exc_info()
        )


def test_a_text_line_starts_with_time_level_and_logger():
    first, *traceback = TextFormatter().format(failed_record()).splitlines()
    assert re.fullmatch(f"{UTC_TIME} ERROR promptwatch.jobs: job backup failed", first), first
    assert traceback[0] == "Traceback (most recent call last):" and traceback[-1] == "is full"


def test_a_json_record_is_one_line_with_its_traceback_inside():
    line = JsonFormatter().format(failed_record())
    assert "\n" not in line
    entry = json.loads(line)
    assert re.fullmatch(UTC_TIME, entry.pop("time"))
    exception = entry.pop("exception")
    assert exception.startswith("Traceback (most recent call last):") and "ValueError: the disk\nis full" in exception
    assert entry == {"level": "ERROR", "logger": "promptwatch.jobs", "message": "job backup failed"}
