"""The SDK's settings: every `PROMPTWATCH_*` variable the SDK reads is declared here once, with its docstring.

A setting resolves once, when a pipeline is built: argument > environment variable > default. Nothing
else in the SDK reads `os.environ`. `check_config()` turns a misconfiguration (no key, a key that is not
base64("<key id>:<secret>"), plain http to a remote host) into one message that disables the SDK.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PORT = 8765
"""The port `promptwatch up` listens on by default."""
DEFAULT_HOST_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
TEMP_KEY_PREFIX = "temp_"


@dataclass(frozen=True)
class EnvVar:
    name: str
    doc: str


# field name of SdkConfig -> its environment variable
ENV_VARS: dict[str, EnvVar] = {
    "api_key": EnvVar(
        "PROMPTWATCH_API_KEY",
        "API key, base64('<key id>:<secret>'), as `promptwatch keys create` prints it. Without one the SDK "
        "warns once and records nothing.",
    ),
    "host_url": EnvVar(
        "PROMPTWATCH_HOST_URL",
        f"Base URL of the PromptWatch server. Default {DEFAULT_HOST_URL} (a local `promptwatch up`); "
        "there is no default remote host.",
    ),
    "tracking_project": EnvVar(
        "PROMPTWATCH_TRACKING_PROJECT", "Default `tracking_project` label of new sessions."
    ),
    "allow_insecure_http": EnvVar(
        "PROMPTWATCH_ALLOW_INSECURE_HTTP",
        "Set to 1 to allow plain http:// to a host that is not loopback (privacy clause P14 refuses it).",
    ),
    "enabled": EnvVar("PROMPTWATCH_ENABLED", "Set to 0 to turn the SDK off: decorators and contexts do nothing."),
    "queue_size": EnvVar(
        "PROMPTWATCH_QUEUE_SIZE",
        "Events held in memory for the sender; when full the oldest is dropped (counted) and the caller "
        "never waits.",
    ),
    "batch_size": EnvVar("PROMPTWATCH_BATCH_SIZE", "Most events sent in one request."),
    "flush_interval": EnvVar(
        "PROMPTWATCH_FLUSH_INTERVAL", "Seconds an event may wait for more to join its batch (linger)."
    ),
    "request_timeout": EnvVar("PROMPTWATCH_REQUEST_TIMEOUT", "Seconds to connect to and read from the server."),
    "gzip": EnvVar("PROMPTWATCH_GZIP", "Set to 1 to gzip request bodies (Content-Encoding: gzip)."),
    "shutdown_timeout": EnvVar(
        "PROMPTWATCH_SHUTDOWN_TIMEOUT",
        "Seconds the interpreter's exit waits for queued events to be sent or spooled; never more.",
    ),
    "spool_dir": EnvVar(
        "PROMPTWATCH_SPOOL_DIR",
        "Directory of the on-disk spool used while the server is unreachable. Default: the user cache "
        "directory (~/.cache/promptwatch/spool, or $XDG_CACHE_HOME/promptwatch/spool).",
    ),
    "spool_max_bytes": EnvVar(
        "PROMPTWATCH_SPOOL_MAX_BYTES",
        "Disk cap of one process's spool; when a new batch would pass it the oldest files are dropped "
        "(counted, warned once). 0 turns the spool off: undeliverable batches are dropped and counted.",
    ),
    "max_string_length": EnvVar(
        "PROMPTWATCH_MAX_STRING_LENGTH", "Longest string kept in a recorded input or output; longer is cut."
    ),
    "max_items": EnvVar("PROMPTWATCH_MAX_ITEMS", "Most items kept of a recorded list or dict."),
    "max_depth": EnvVar("PROMPTWATCH_MAX_DEPTH", "Deepest nesting kept of a recorded value (at most 56)."),
}


def default_spool_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "promptwatch" / "spool"


@dataclass(frozen=True)
class SdkConfig:
    """The resolved settings of one pipeline (one server and API key)."""

    api_key: str | None = None
    host_url: str = DEFAULT_HOST_URL
    tracking_project: str | None = None
    allow_insecure_http: bool = False
    enabled: bool = True
    queue_size: int = 10_000
    batch_size: int = 500
    flush_interval: float = 0.2
    request_timeout: float = 5.0
    gzip: bool = False
    shutdown_timeout: float = 2.0
    spool_dir: Path | None = None
    spool_max_bytes: int = 100_000_000
    max_string_length: int = 100_000
    max_items: int = 200
    max_depth: int = 12

    @property
    def key_id(self) -> str | None:
        return decode_key_id(self.api_key) if self.api_key else None


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _parse(kind: str, raw: str) -> Any:
    """Parse an environment value for a field annotated `kind` (annotations are strings here)."""
    if kind == "bool":
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError(f"expected 1/0/true/false, got {raw!r}")
    if kind == "int":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "Path | None":
        return Path(raw) if raw else None
    return raw


def resolve_config(environ: dict[str, str] | None = None, **arguments: Any) -> SdkConfig:
    """Build the settings: a non-None argument wins over `PROMPTWATCH_*`, which wins over the default.

    A malformed environment value raises ValueError naming the variable (callers turn it into a warning).
    """
    environ = os.environ if environ is None else environ
    unknown = set(arguments) - set(ENV_VARS)
    if unknown:
        raise TypeError(f"unknown PromptWatch setting(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for field in fields(SdkConfig):
        if arguments.get(field.name) is not None:
            values[field.name] = arguments[field.name]
            continue
        raw = environ.get(ENV_VARS[field.name].name)
        if raw is None:
            continue
        try:
            values[field.name] = _parse(str(field.type), raw)
        except ValueError as exc:
            raise ValueError(f"{ENV_VARS[field.name].name}: {exc}") from None
    if values.get("host_url"):
        values["host_url"] = str(values["host_url"]).rstrip("/")
    if values.get("spool_dir") is not None:
        values["spool_dir"] = Path(values["spool_dir"])
    return SdkConfig(**values)


def decode_key_id(api_key: str) -> str | None:
    """The key id of a key base64('<key id>:<secret>'), or None when the key is not in that format."""
    try:
        decoded = base64.b64decode(api_key.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    key_id, sep, secret = decoded.partition(":")
    return key_id if key_id and sep and secret else None


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_config(config: SdkConfig) -> str | None:
    """Why this configuration cannot send anything (one clear sentence), or None when it can."""
    if not config.enabled:
        return "PromptWatch is turned off (PROMPTWATCH_ENABLED=0)."
    if not config.api_key:
        return "No PromptWatch API key: pass api_key=... or set PROMPTWATCH_API_KEY. Nothing will be recorded."
    if decode_key_id(config.api_key) is None:
        return (
            "This is not a PromptWatch API key (expected base64('<key id>:<secret>')). "
            "Nothing will be recorded."
        )
    url = urlsplit(config.host_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        return f"PROMPTWATCH_HOST_URL {config.host_url!r} is not an http(s) URL. Nothing will be recorded."
    if url.scheme == "http" and not is_loopback(url.hostname) and not config.allow_insecure_http:
        return (
            f"Refusing to send data over plain http to {url.hostname} (not encrypted). Use https://, or "
            "set PROMPTWATCH_ALLOW_INSECURE_HTTP=1 / allow_insecure_http=True. Nothing will be recorded."
        )
    return None
