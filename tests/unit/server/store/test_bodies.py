"""Activity bodies: written as zstd, and bodies written as zlib by earlier versions still read."""

from __future__ import annotations

import zlib

import orjson

from promptwatch.server.store.bodies import ENCRYPTED_MARKER, ZSTD_MAGIC, decode_body, encode_body, is_encrypted

BODY = {"prompt": "Tell me about the Moon. " * 40, "generated": "It orbits the Earth.", "n": [1, 2, 3]}


def test_bodies_round_trip_as_zstd_and_shrink():
    blob = encode_body(BODY)
    assert blob.startswith(ZSTD_MAGIC) and not is_encrypted(blob)
    assert len(blob) < len(orjson.dumps(BODY)) / 4
    assert decode_body(blob) == BODY
    assert decode_body(memoryview(blob)) == BODY  # as some drivers hand blobs back


def test_zlib_bodies_from_earlier_versions_still_read():
    assert decode_body(zlib.compress(orjson.dumps(BODY), 3)) == BODY


def test_neither_codec_starts_like_an_encrypted_body():
    assert not encode_body({}).startswith(ENCRYPTED_MARKER)
    assert not zlib.compress(b"{}", 3).startswith(ENCRYPTED_MARKER)
