"""search error messages: text search finds an activity by the words of its error

The index held the words of an activity's body; its error (`activities.error`: the `error` the native API and
the published client take, an OTLP span's status message or exception) was not among them, so
`q=RateLimitError` found nothing. An activity with an error is now indexed with the error first, followed by
the type and message of the exceptions an OpenTelemetry span recorded (kept in its metadata) where the error
does not hold them, a dot between letters there parting the words (`search.text_of`). An activity without an
error is indexed as before.

So only the activities with an error are indexed again. SQLite's index is contentless: a row is removed with
the text it was indexed with (the body's words, by the rule of 0012) and added with the new text. PostgreSQL
removes rows by id and rewrites them. The downgrade does the reverse.

The rule is copied here, with the decoding of the stored bodies, as it was at this revision: the store's code
goes on changing, while this must index as the store did when it was written. Without an error it gives what
0012's rule gives. A later change of the rule brings its own migration; tests/unit/server/store/
test_search_text.py fails until it does. Encrypted bodies are not in the index (their words would be there
in clear), nor is a body that cannot be read.

Revision ID: 0015_search_error_messages
Revises: 0014_activity_time_index
"""

import re
import zlib

import orjson
import zstandard
from alembic import op
from sqlalchemy import text

revision = "0015_search_error_messages"
down_revision = "0014_activity_time_index"
branch_labels = None
depends_on = None

_MAX_INDEXED_CHARS = 20_000
_TEXT_FIELDS = ("text", "prompt", "generated", "input", "output", "inputs", "outputs", "documents", "prompts")
_NOT_WORDS = frozenset({"role", "type", "__type__", "id", "image_url", "input_audio"})
_DOTTED = re.compile(r"(?<=[^\W_])\.(?=[^\W\d_])")
_CHUNK = 2000

_ERRORED = text(
    "SELECT a.pk, a.account_id, a.error, b.body FROM activities a JOIN activity_bodies b ON b.activity_pk = a.pk "
    "WHERE a.pk > :after AND a.error IS NOT NULL ORDER BY a.pk LIMIT :n"
)
_SQLITE_REMOVE = text("INSERT INTO activity_search(activity_search, rowid, body) VALUES ('delete', :pk, :body)")
_SQLITE_INDEX = text("INSERT INTO activity_search(rowid, body) VALUES (:pk, :body)")
_POSTGRESQL_INDEX = text(
    "INSERT INTO activity_search(activity_pk, account_id, tsv) "
    "VALUES (:pk, :account, strip(to_tsvector('simple', :body))) "
    "ON CONFLICT (activity_pk) DO UPDATE SET tsv = excluded.tsv"
)
_POSTGRESQL_REMOVE = text("DELETE FROM activity_search WHERE activity_pk = :pk")


def upgrade() -> None:
    _index_again(with_errors=True)


def downgrade() -> None:
    _index_again(with_errors=False)


def _index_again(with_errors: bool) -> None:
    """Index the readable bodies of the activities with an error by the rule with errors or (`with_errors`
    false) without, removing the rows the other rule gave first."""
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    zstd, after = zstandard.ZstdDecompressor(), 0
    while rows := conn.execute(_ERRORED, {"after": after, "n": _CHUNK}).all():
        after = rows[-1].pk
        remove, index = [], []
        for pk, account, error, blob in rows:
            body = _decoded(bytes(blob), zstd)
            if body is None:
                continue
            with_error, without = _text_of(body, error), _text_of(body, None)
            indexed, new = (without, with_error) if with_errors else (with_error, without)
            if new == indexed:
                continue
            if indexed and sqlite:
                remove.append({"pk": pk, "body": indexed})
            if new:
                index.append({"pk": pk, "account": account, "body": new})
            elif not sqlite:
                remove.append({"pk": pk})
        if remove:
            conn.execute(_SQLITE_REMOVE if sqlite else _POSTGRESQL_REMOVE, remove)
        if index:
            conn.execute(_SQLITE_INDEX if sqlite else _POSTGRESQL_INDEX, index)


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


def _text_of(body: dict, error: str | None) -> str:
    parts: list[str] = []
    if error:
        parts.append(_DOTTED.sub(" ", "\n".join([error, *_exception_words(body.get("metadata"), error)])))
    for field in _TEXT_FIELDS:
        _collect(body.get(field), parts, 0)
    return "\n".join(parts)[:_MAX_INDEXED_CHARS]


def _exception_words(metadata, error: str):
    otel = metadata.get("otel") if isinstance(metadata, dict) else None
    events = otel.get("events") if isinstance(otel, dict) else None
    for event in events if isinstance(events, list) else ():
        attributes = event.get("attributes") if isinstance(event, dict) and event.get("name") == "exception" else None
        if isinstance(attributes, dict):
            for key in ("exception.type", "exception.message"):
                value = attributes.get(key)
                if isinstance(value, str) and value not in error:
                    yield value


def _collect(value, parts: list[str], depth: int) -> None:
    if value is None or depth > 6:
        return
    if isinstance(value, str):
        parts.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in _NOT_WORDS and not str(key).endswith("_id"):
                _collect(item, parts, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _collect(item, parts, depth + 1)
