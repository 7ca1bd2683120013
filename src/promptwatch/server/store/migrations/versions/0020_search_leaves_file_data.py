"""search leaves file data out: a file sent with a prompt no longer fills the index

A chat message's file parts are recorded with it (a Chat Completions `file` part, the Responses API's
`input_file` with its `file_data`), as are a reasoning item's `encrypted_content`: base64 that took the whole
of an activity's indexed text (`search.MAX_INDEXED_CHARS`), so the words of its prompt and reply were not
found. `search.text_of` now leaves the values under `file`, `file_data` and `encrypted_content` out, as it
leaves out images and audio.

So only the activities whose body holds one of those keys are indexed again; finding them reads every readable
body, but parses only those whose JSON holds such a key. SQLite's index is contentless: a row is removed with
the text it was indexed with (0017's rule) and added with the new text. PostgreSQL rewrites them by id. The
downgrade does the reverse.

The rule is copied here, as at this revision (see 0017): `_text_before` is 0017's rule, `_text_of` this
revision's. Encrypted bodies are not in the index, nor is a body that cannot be read.

Revision ID: 0020_search_leaves_file_data
Revises: 0017_search_cjk_bigrams
"""

import re
import zlib

import orjson
import zstandard
from alembic import op
from sqlalchemy import text

revision = "0020_search_leaves_file_data"
down_revision = "0017_search_cjk_bigrams"
branch_labels = None
depends_on = None

_MAX_INDEXED_CHARS = 20_000
_TEXT_FIELDS = ("text", "prompt", "generated", "input", "output", "inputs", "outputs", "documents", "prompts")
_NOT_WORDS_BEFORE = frozenset({"role", "type", "__type__", "id", "image_url", "input_audio"})
_FILE_KEYS = ("file", "file_data", "encrypted_content")
_NOT_WORDS = _NOT_WORDS_BEFORE | set(_FILE_KEYS)
_FILE_KEY_BYTES = tuple(f'"{key}"'.encode() for key in _FILE_KEYS)
_DOTTED = re.compile(r"(?<=[^\W_])\.(?=[^\W\d_])")
_CJK = re.compile(
    "[\u3005-\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U000323af]+"
)
_CHUNK = 2000

_BODIES = text(
    "SELECT b.activity_pk, b.account_id, a.error, b.body FROM activity_bodies b "
    "JOIN activities a ON a.pk = b.activity_pk WHERE b.activity_pk > :after ORDER BY b.activity_pk LIMIT :n"
)
_SQLITE_REMOVE = text("INSERT INTO activity_search(activity_search, rowid, body) VALUES ('delete', :pk, :body)")
_SQLITE_INDEX = text("INSERT INTO activity_search(rowid, body) VALUES (:pk, :body)")
_POSTGRESQL_INDEX = text(
    "INSERT INTO activity_search(activity_pk, account_id, tsv) "
    "VALUES (:pk, :account, strip(to_tsvector('simple', :body))) "
    "ON CONFLICT (activity_pk) DO UPDATE SET tsv = excluded.tsv"
)


def upgrade() -> None:
    _index_again(upgrading=True)


def downgrade() -> None:
    _index_again(upgrading=False)


def _index_again(upgrading: bool) -> None:
    """Index the readable bodies that hold file data by this revision's rule or (`upgrading` false) 0017's,
    removing the rows the other rule gave first."""
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    zstd, after = zstandard.ZstdDecompressor(), 0
    while rows := conn.execute(_BODIES, {"after": after, "n": _CHUNK}).all():
        after = rows[-1].activity_pk
        remove, index = [], []
        for pk, account, error, blob in rows:
            body = _decoded(bytes(blob), zstd)
            if body is None:
                continue
            before, now = _text_before(body, error), _text_of(body, error)
            if before == now:
                continue
            indexed, new = (before, now) if upgrading else (now, before)
            remove.append({"pk": pk, "body": indexed})
            index.append({"pk": pk, "account": account, "body": new})
        if sqlite and remove:
            conn.execute(_SQLITE_REMOVE, remove)
        if index:
            conn.execute(_SQLITE_INDEX if sqlite else _POSTGRESQL_INDEX, index)


def _decoded(blob: bytes, zstd: zstandard.ZstdDecompressor) -> dict | None:
    """The body as JSON, read from zstd or (bodies written before it) zlib; None when encrypted or unreadable."""
    if blob[:1] == b"\x01":  # encrypted
        return None
    try:
        zstd_frame = blob[:4] == b"\x28\xb5\x2f\xfd"
        raw = zstd.decompress(blob) if zstd_frame else zlib.decompress(blob)
        if not any(key in raw for key in _FILE_KEY_BYTES):  # its text is the same by either rule
            return None
        body = orjson.loads(raw)
    except (zstandard.ZstdError, zlib.error, orjson.JSONDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _text_of(body: dict, error: str | None) -> str:
    return _pairs(_words(body, error, _NOT_WORDS))


def _text_before(body: dict, error: str | None) -> str:
    return _pairs(_words(body, error, _NOT_WORDS_BEFORE))


def _pairs(indexed: str) -> str:
    return _CJK.sub(lambda run: " " + " ".join([run[0][i : i + 2] for i in range(len(run[0]))]) + " ", indexed)


def _words(body: dict, error: str | None, not_words: frozenset) -> str:
    parts: list[str] = []
    if error:
        parts.append(_DOTTED.sub(" ", "\n".join([error, *_exception_words(body.get("metadata"), error)])))
    for field in _TEXT_FIELDS:
        _collect(body.get(field), parts, 0, not_words)
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


def _collect(value, parts: list[str], depth: int, not_words: frozenset) -> None:
    if value is None or depth > 6:
        return
    if isinstance(value, str):
        parts.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in not_words and not str(key).endswith("_id"):
                _collect(item, parts, depth + 1, not_words)
    elif isinstance(value, list):
        for item in value:
            _collect(item, parts, depth + 1, not_words)
