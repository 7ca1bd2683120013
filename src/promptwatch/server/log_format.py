"""How the server writes its log to stderr: a line per record with its time (UTC), level and logger, or with
PROMPTWATCH_LOG_FORMAT=json one JSON object per record, its traceback inside, for log shippers. `promptwatch up`
applies `log_config(settings)` before it touches the store and hands it to uvicorn, which applies it again in
each worker process. uvicorn's own access log stays off: the access log (P9) is the server's, with its scrubbed
paths, truncated addresses and request ids."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from .settings import Settings


def _utc_time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """`2025-01-31T09:00:00.123Z WARNING promptwatch.jobs: message`, then the traceback, if any."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's)
        return _utc_time(record)


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message"}`, and `exception` with the traceback: one line per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


FORMATTERS = {"text": TextFormatter, "json": JsonFormatter}


def log_config(settings: Settings) -> dict:
    """The `logging.config.dictConfig` of the settings' level and format: every logger, uvicorn's included,
    writes through one handler on the root logger."""
    formatter = FORMATTERS[settings.log_format]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
        },
        "root": {"handlers": ["default"], "level": settings.log_level.upper()},
    }
