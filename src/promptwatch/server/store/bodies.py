"""Encoding of activity bodies: every field that listing never reads, as zstd-compressed JSON.

Bodies written before zstd are zlib streams; both are read (a zstd frame starts with its magic number,
a zlib stream never does)."""

from __future__ import annotations

import threading
import zlib

import orjson
import zstandard

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_LEVEL = 1  # as small as level 3 on activity bodies, and faster
_local = threading.local()  # zstd (de)compressors are not thread-safe: one pair per thread


def _codecs() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    codecs = getattr(_local, "codecs", None)
    if codecs is None:
        codecs = _local.codecs = (zstandard.ZstdCompressor(level=_LEVEL), zstandard.ZstdDecompressor())
    return codecs


def encode_body(body: dict) -> bytes:
    return _codecs()[0].compress(orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS))


def decode_body(blob: bytes) -> dict:
    blob = bytes(blob)
    if blob[:4] == ZSTD_MAGIC:
        return orjson.loads(_codecs()[1].decompress(blob))
    return orjson.loads(zlib.decompress(blob))


def is_encrypted(blob: bytes) -> bool:
    """Encrypted bodies start with a marker byte that neither zstd nor zlib output starts with."""
    return blob[:1] == ENCRYPTED_MARKER


ENCRYPTED_MARKER = b"\x01"
