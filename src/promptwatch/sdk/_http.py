"""Short request/response calls to the server for the SDK's run-time helpers (cache, template labels,
unit tests), apart from the ingest worker. Standard library only.

`call()` raises `PromptWatchError` for every failure (unreachable, timeout, non-2xx, unreadable reply); each
caller decides whether that is a miss (the cache), a stale value (labels) or an error (unit tests). Every
call has a deadline. The server and key are the pipeline's: a disabled pipeline (no key, refused URL) makes
no call at all.
"""

from __future__ import annotations

import http.client
import json
import ssl
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from ._transport import USER_AGENT
from .context import open_instance
from .errors import PromptWatchError
from .pipeline import Pipeline, get_pipeline


def segment(value: str) -> str:
    """A path segment, URL-encoded (the server decodes it)."""
    return quote(str(value), safe="")


def pipeline_for(api_key: str | None = None) -> Pipeline:
    """The pipeline (server and key) a helper uses: the open `PromptWatch` context's, else `api_key`'s."""
    instance = open_instance()
    if api_key is None and instance is not None:
        return instance.pipeline
    return get_pipeline(api_key)


def call(pipeline: Pipeline, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None,
         timeout: float = 2.0) -> Any:
    """The JSON reply of `method path` on the pipeline's server, or PromptWatchError."""
    if not pipeline.enabled:
        raise PromptWatchError(pipeline.problem or "PromptWatch is not configured")
    config = pipeline.config
    url = urlsplit(config.host_url)
    query = {key: str(value) for key, value in (params or {}).items() if value is not None}
    target = (url.path.rstrip("/") or "") + path + (f"?{urlencode(query)}" if query else "")
    headers = {"Authorization": f"Bearer {config.api_key}", "Content-Type": "application/json",
               "Accept": "application/json", "User-Agent": USER_AGENT}
    data = None if body is None else json.dumps(body, default=str).encode()
    if url.scheme == "https":
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            url.hostname or "", url.port, timeout=timeout, context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=timeout)
    try:
        connection.request(method, target, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise PromptWatchError(f"PromptWatch server {config.host_url} unreachable: {type(exc).__name__}: {exc}"
                               ) from None
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        detail = text[:300].decode("utf-8", "replace")
        raise PromptWatchError(f"PromptWatch server answered {response.status} to {method} {path}: {detail}")
    try:
        return json.loads(text) if text.strip() else None
    except ValueError:
        raise PromptWatchError(f"PromptWatch server sent an unreadable reply to {method} {path}") from None
