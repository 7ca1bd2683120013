"""Reading request bodies that may be compressed (`Content-Encoding: gzip` or `deflate`), never inflating
past the instance's body limit: a small bomb must not cost the server its memory."""

from __future__ import annotations

import zlib

from fastapi import Request

from ..errors import DomainError, PayloadTooLarge

_WBITS = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS}


class UnsupportedEncoding(Exception):
    """The request's Content-Encoding is one the server does not read."""


def content_encoding(header: str | None) -> str | None:
    encoding = (header or "").strip().lower()
    if encoding in ("", "identity"):
        return None
    if encoding not in _WBITS:
        raise UnsupportedEncoding(f"Content-Encoding {encoding!r} is not supported; use gzip or deflate")
    return encoding


def inflate(body: bytes, encoding: str | None, limit: int) -> bytes:
    if encoding is None:
        return body
    inflater = zlib.decompressobj(_WBITS[encoding])
    try:
        raw = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise DomainError(f"the body is not valid {encoding}: it does not decompress") from None
    if len(raw) > limit:
        raise PayloadTooLarge(f"bodies are limited to {limit} bytes once decompressed")
    if not inflater.eof:
        raise DomainError(f"the {encoding} body is truncated")
    return raw


async def read_body(request: Request) -> bytes:
    """The request body, decompressed; 415 for an unknown encoding, 413 past the limit."""
    try:
        encoding = content_encoding(request.headers.get("content-encoding"))
    except UnsupportedEncoding as exc:
        raise UnsupportedMediaType(str(exc)) from None
    return inflate(await request.body(), encoding, request.app.state.runtime.settings.max_request_bytes)


class UnsupportedMediaType(DomainError):
    status, title = 415, "Unsupported media type"
