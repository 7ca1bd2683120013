"""search CJK bigrams: text search finds part of a sentence in Chinese or Japanese

Chinese and Japanese are written without spaces, and both indexes took a whole run of such characters for one
word, so `q=东京` did not find "我住在东京大学附近". The text of an activity now has each run of Han,
Hiragana and Katakana characters as the pairs of neighbouring characters and its last character alone, parted
from the letters and digits beside it (`search.text_of`: 东京大学 is "东京 京大 大学 学", GPT模型 "GPT 模型 型").
Text without such characters is indexed as before.

So only the activities whose text holds them are indexed again; finding them reads every readable body.
SQLite's index is contentless: a row is removed with the text it was indexed with (by the rule of 0015) and
added with the new text. PostgreSQL removes rows by id and rewrites them. The downgrade does the reverse.

The rule is copied here, with the decoding of the stored bodies, as it was at this revision: the store's code
goes on changing, while this must index as the store did when it was written. `_text_before` is 0015's rule,
`_text_of` this revision's. A later change of the rule brings its own migration; tests/unit/server/store/
test_search_text.py fails until it does. Encrypted bodies are not in the index (their words would be there
in clear), nor is a body that cannot be read.

Revision ID: 0017_search_cjk_bigrams
Revises: 0016_failed_and_feedback_indexes
"""

import re
import zlib

import orjson
import zstandard
from alembic import op
from sqlalchemy import text

revision = "0017_search_cjk_bigrams"
down_revision = "0016_failed_and_feedback_indexes"
branch_labels = None
depends_on = None

_MAX_INDEXED_CHARS = 20_000
_TEXT_FIELDS = ("text", "prompt", "generated", "input", "output", "inputs", "outputs", "documents", "prompts")
_NOT_WORDS = frozenset({"role", "type", "__type__", "id", "image_url", "input_audio"})
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
    _index_again(pairs=True)


def downgrade() -> None:
    _index_again(pairs=False)


def _index_again(pairs: bool) -> None:
    """Index the readable bodies whose text holds Chinese or Japanese by this revision's rule or (`pairs`
    false) 0015's, removing the rows the other rule gave first. PostgreSQL's rows are replaced in place: the
    text holds those characters, so it is never empty by either rule."""
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"
    zstd, after = zstandard.ZstdDecompressor(), 0
    while rows := conn.execute(_BODIES, {"after": after, "n": _CHUNK}).all():
        after = rows[-1].activity_pk
        remove, index = [], []
        for pk, account, error, blob in rows:
            body = _decoded(bytes(blob), zstd)
            before = None if body is None else _text_before(body, error)
            if before is None or not _CJK.search(before):
                continue
            indexed, new = (before, _pairs(before)) if pairs else (_pairs(before), before)
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
        body = orjson.loads(zstd.decompress(blob) if zstd_frame else zlib.decompress(blob))
    except (zstandard.ZstdError, zlib.error, orjson.JSONDecodeError):
        return None
    return body if isinstance(body, dict) else None


def _text_of(body: dict, error: str | None) -> str:
    return _pairs(_text_before(body, error))


def _pairs(indexed: str) -> str:
    return _CJK.sub(lambda run: " " + " ".join([run[0][i : i + 2] for i in range(len(run[0]))]) + " ", indexed)


def _text_before(body: dict, error: str | None) -> str:
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
