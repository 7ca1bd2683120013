"""Encoding of activity bodies: every field that listing never reads, as zlib-compressed JSON."""

from __future__ import annotations

import zlib

import orjson


def encode_body(body: dict) -> bytes:
    return zlib.compress(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), 3)


def decode_body(blob: bytes) -> dict:
    return orjson.loads(zlib.decompress(blob))


def is_encrypted(blob: bytes) -> bool:
    """Encrypted bodies start with a marker byte that zlib output never starts with."""
    return blob[:1] == ENCRYPTED_MARKER


ENCRYPTED_MARKER = b"\x01"
