"""search words only: text search no longer finds a chat message's role, a content part's type or an id

The index took every string under an activity's text fields, so a chat prompt's roles were indexed and
`q=system` found every chat session. It now takes what a person wrote or a model produced: not the values of
`role`, `type`, `__type__`, `id`, any `*_id`, `image_url` or `input_audio` keys (`search.text_of`).

SQLite's index is contentless: removing a row needs the text it was indexed with, which the store computes
from the body with the rule of its time. So every row is indexed again with the new rule: the index is emptied
('delete-all' needs no text) and the readable bodies indexed from scratch. PostgreSQL removes rows by id, but
the rows whose words change are rewritten so that search finds the same on both. The downgrade does the same
with the old rule, which the code before this revision removes rows by.

Both rules are copied here, with the decoding of the stored bodies, as they were at this revision: the store's
code goes on changing, while this must index as the store did when it was written (and the old rule is nowhere
else now). A later change of the rule brings its own migration; tests/unit/server/store/test_search_text.py
fails until it does. Encrypted bodies are not in the index (their words would be there in clear), nor is a
body that cannot be read.

Revision ID: 0012_search_words_only
Revises: 0011_search_without_positions
"""

import zlib

import orjson
import zstandard
from alembic import op
from sqlalchemy import text

revision = "0012_search_words_only"
down_revision = "0011_search_without_positions"
branch_labels = None
depends_on = None

_MAX_INDEXED_CHARS = 20_000
_TEXT_FIELDS = ("text", "prompt", "generated", "input", "output", "inputs", "outputs", "documents", "prompts")
_NOT_WORDS = frozenset({"role", "type", "__type__", "id", "image_url", "input_audio"})
_CHUNK = 2000

_BODIES = text(
    "SELECT activity_pk, account_id, body FROM activity_bodies WHERE activity_pk > :after ORDER BY activity_pk LIMIT :n"
)
_SQLITE_EMPTY = text("INSERT INTO activity_search(activity_search) VALUES ('delete-all')")
_SQLITE_INDEX = text("INSERT INTO activity_search(rowid, body) VALUES (:pk, :body)")
_POSTGRESQL_INDEX = text(
    "INSERT INTO activity_search(activity_pk, account_id, tsv) "
    "VALUES (:pk, :account, strip(to_tsvector('simple', :body))) "
    "ON CONFLICT (activity_pk) DO UPDATE SET tsv = excluded.tsv"
)
_POSTGRESQL_REMOVE = text("DELETE FROM activity_search WHERE activity_pk = :pk")


def upgrade() -> None:
    _index_again(indexed_by=_every_string, index_by=_words_only)


def downgrade() -> None:
    _index_again(indexed_by=_words_only, index_by=_every_string)


def _every_string(key) -> bool:
    return True


def _words_only(key) -> bool:
    return key not in _NOT_WORDS and not str(key).endswith("_id")


def _index_again(indexed_by, index_by) -> None:
    """Index the readable bodies with the text the rule `index_by` (which keys count) gives; on PostgreSQL only
    those whose text differs from what `indexed_by` gave."""
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        conn.execute(_SQLITE_EMPTY)
    zstd, after = zstandard.ZstdDecompressor(), 0
    while rows := conn.execute(_BODIES, {"after": after, "n": _CHUNK}).all():
        after = rows[-1].activity_pk
        index, remove = [], []
        for pk, account, blob in rows:
            body = _decoded(bytes(blob), zstd)
            if body is None:
                continue
            new = _text_of(body, index_by)
            if sqlite or new != _text_of(body, indexed_by):  # SQLite's index is empty: every body goes in again
                (index if new else remove).append({"pk": pk, "account": account, "body": new})
        if index:
            conn.execute(_SQLITE_INDEX if sqlite else _POSTGRESQL_INDEX, index)
        if remove and not sqlite:
            conn.execute(_POSTGRESQL_REMOVE, remove)


def _decoded(blob: bytes, zstd: zstandard.ZstdDecompressor) -> dict | None:
    """The body as JSON, read from zstd or (bodies written before it) zlib; None when encrypted or unreadable."""
    if blob[:1] == b"\x01":  # encrypted
        return None
    try:
        zstd_frame = blob[:4] == b"\x28\xb5\x2f\xfd"
        body = orjson.loads(zstd.decompress(blob) if zstd_frame else zlib.decompress(blob))
    except (zstandard.ZstdError, zlib.error, orjson.JSONDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _text_of(body: dict, keeps) -> str:
    parts: list[str] = []
    for field in _TEXT_FIELDS:
        _collect(body.get(field), parts, 0, keeps)
    return "\n".join(parts)[:_MAX_INDEXED_CHARS]


def _collect(value, parts: list[str], depth: int, keeps) -> None:
    if value is None or depth > 6:
        return
    if isinstance(value, str):
        parts.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if keeps(key):
                _collect(item, parts, depth + 1, keeps)
    elif isinstance(value, list):
        for item in value:
            _collect(item, parts, depth + 1, keeps)
