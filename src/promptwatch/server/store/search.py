"""The full-text index over activity text: contentless FTS5 on SQLite, a tsvector table on PostgreSQL.

SQLite's contentless table keeps no copy of the text, so removing a row needs the text it was indexed
with; callers pass it, or the stored body and error it is made of (`unindex_stored`).

`text_match` answers what the session list's text search asks of the index (`session_search`): on
PostgreSQL the subquery of the matching sessions; on SQLite which of some sessions have a matching activity,
and every match when there are few. The user's words are runs of letters and digits, as both indexes split
text; every word must match, and one of at least MIN_PREFIX characters also matches the longer words it
begins (`rot`: rotate, rotation), a shorter one only itself.

Chinese and Japanese are written without spaces, where both indexes would take a whole run of characters
for one word. So a run of Han, Hiragana and Katakana characters (`_CJK`; not Hangul: Korean has spaces) is
indexed as the pairs of neighbouring characters and its last character alone (`cjk_pairs`: 东京大学 is
"东京 京大 大学 学"), parted from the letters and digits beside it (GPT模型: "GPT 模型 型"). The user's run
is asked as its pairs, all of which must match (as the index keeps no positions, they may lie apart); one
character alone is asked as a prefix, which finds it wherever it stands: every character begins a pair or
is the last of its run.
"""

from __future__ import annotations

import bisect
import json
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, TextClause, column, delete, select, table, text

from . import bulk
from .bodies import decode_body, is_encrypted
from .tables.activities import activities

MAX_INDEXED_CHARS = 20_000
MIN_PREFIX = 3
_TEXT_FIELDS = ("text", "prompt", "generated", "input", "output", "inputs", "outputs", "documents", "prompts")
# Keys whose values label or point rather than say: a chat message's role, the type of a content part or of a
# serialized object (`__type__`, the SDK's), ids (and every `*_id`), and the images, audio and files a message
# carries and a reasoning item's encrypted content (a URL or base64 data, which would crowd the words out of
# MAX_INDEXED_CHARS).
_NOT_WORDS = frozenset(
    {"role", "type", "__type__", "id", "image_url", "input_audio", "file", "file_data", "encrypted_content"}
)
_DOTTED = re.compile(r"(?<=[^\W_])\.(?=[^\W\d_])")  # a dot between a letter or digit and a letter
# Runs of the letters of Chinese and Japanese: 々〆〇, Hiragana, Katakana (not the punctuation ゠ and ・), the
# Katakana extensions and half-width forms, and the CJK ideographs (unified, extensions A to H, compatibility).
_CJK = re.compile(
    "[\u3005-\u3007\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U000323af]+"
)
# Every letter of _CJK begins in UTF-8 with a byte of E3-E9 (U+3000-U+9FFF), EF (U+F000-U+FFFF) or F0 (the
# planes above, of which U+20000-U+32FFF begin with F0 A0 to F0 B2; emoji with F0 9F).
_NOT_CJK_LEADS = bytes(sorted(set(range(256)) - {*range(0xE3, 0xEA), 0xEF, 0xF0}))
_ASTRAL_CJK = re.compile(rb"\xf0[\xa0-\xb2]")


def text_of(body: dict, error: str | None = None) -> str:
    """The words of an activity that text search finds. First its error (`activities.error`), when it has one,
    with the type and message of the exceptions an OpenTelemetry span recorded where the error does not hold
    them (a span's error is its status message when it has one); there a dot between letters parts the words,
    which PostgreSQL's parser would keep as one (`openai.RateLimitError`). The error comes first so that a long
    prompt never pushes it out of MAX_INDEXED_CHARS. Then what a person wrote or a model produced in its
    prompts, outputs, documents and messages, tool calls' names and arguments too: every string under the text
    fields except those under a _NOT_WORDS key or a key ending in `_id`. Of these, the first MAX_INDEXED_CHARS
    characters, in which Chinese and Japanese become their pairs (`cjk_pairs`, up to 3 characters each).

    SQLite's index needs this text again to remove a row, so the callers that remove one pass the stored error
    with the body (`unindex_stored`), and a change here comes with a migration that indexes the stored bodies
    again (as `0020_search_leaves_file_data`, which holds a copy of this rule)."""
    parts: list[str] = []
    if error:
        parts.append(_DOTTED.sub(" ", "\n".join([error, *_exception_words(body.get("metadata"), error)])))
    for field in _TEXT_FIELDS:
        _collect(body.get(field), parts, 0)
    return cjk_pairs("\n".join(parts)[:MAX_INDEXED_CHARS])


def cjk_pairs(text: str) -> str:
    """`text` with each run of Chinese or Japanese letters (`_CJK`) as the pairs of neighbouring characters
    and its last character alone, apart from what is beside it (GPT模型: "GPT 模型 型 "). A text without them
    comes back as it is."""
    return _CJK.sub(_pairs_of_run, text) if _may_hold_cjk(text) else text


def _may_hold_cjk(text: str) -> bool:
    """True whenever `text` holds a letter of _CJK (and for some other text), tested in C loops: an ASCII
    string is known as one at once; other text is encoded and the bytes that may begin such a letter kept
    (`_NOT_CJK_LEADS` deleted), about 5 µs for 1.5 KB. A regular expression tests a character class at some
    15 ns a character, 22 µs for 1.5 KB: more than `text_of` takes for the whole activity (5 µs)."""
    if text.isascii():
        return False
    data = text.encode("utf-8", "surrogatepass")
    leads = data.translate(None, _NOT_CJK_LEADS)
    return bool(leads.strip(b"\xf0")) or (bool(leads) and _ASTRAL_CJK.search(data) is not None)


def _pairs_of_run(run: re.Match) -> str:
    return " " + " ".join(_pairs(run.group())) + " "


def _pairs(letters: str) -> list[str]:
    """Each character with the one after it, the last alone: 东京大 gives 东京, 京大, 大."""
    return [letters[i : i + 2] for i in range(len(letters))]


def _exception_words(metadata, error: str) -> Iterator[str]:
    """The `exception.type` and `exception.message` of the `exception` events in `metadata.otel.events` (where
    OTLP ingestion keeps a span's events) that `error` does not already hold."""
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


_INDEX_SQLITE = text("INSERT INTO activity_search(rowid, body) VALUES (:pk, :body)")
_INDEX_POSTGRESQL = text(
    "INSERT INTO activity_search(activity_pk, account_id, tsv) "
    "VALUES (:pk, :account, strip(to_tsvector('simple', :body))) "  # words only: see migration 0011
    "ON CONFLICT (activity_pk) DO UPDATE SET tsv = excluded.tsv"
)


def index(connection: Connection, rows: Sequence[tuple[int, int, str]]) -> None:
    """Index `(activity_pk, account_id, text)` rows, the text as `text_of` gives it (which bounds it)."""
    if connection.dialect.name == "sqlite":
        params = [{"pk": pk, "body": body} for pk, _account, body in rows if body]
        bulk.execute_many(connection, _INDEX_SQLITE, params)
    else:
        params = [{"pk": pk, "account": a, "body": body} for pk, a, body in rows if body]
        bulk.execute_many(connection, _INDEX_POSTGRESQL, params)


def unindex(connection: Connection, rows: Iterable[tuple[int, str]]) -> None:
    """Remove `(activity_pk, text it was indexed with)` rows."""
    params = [{"pk": pk, "body": body} for pk, body in rows if body]
    if not params:
        return
    if connection.dialect.name == "sqlite":
        connection.execute(
            text("INSERT INTO activity_search(activity_search, rowid, body) VALUES ('delete', :pk, :body)"), params
        )
    else:
        connection.execute(text("DELETE FROM activity_search WHERE activity_pk = :pk"), params)


def unindex_stored(connection: Connection, rows: Iterable[tuple[int, bytes, str | None]]) -> None:
    """Remove stored activities' rows, given `(activity_pk, body as stored, error)`: by the text `text_of`
    gives them, which SQLite needs (an encrypted body was never indexed)."""
    unindex(connection, [(pk, text_of(decode_body(blob), error)) for pk, blob, error in rows if not is_encrypted(blob)])


def index_stored(connection: Connection, account_id: int, rows: Sequence[tuple[int, dict]]) -> None:
    """Index `(activity_pk, body)` of activities already stored, with the errors their rows hold."""
    if not rows:
        return
    pks = [pk for pk, _body in rows]
    errors = dict(
        connection.execute(
            select(activities.c.pk, activities.c.error).where(activities.c.pk.in_(pks), activities.c.error.is_not(None))
        ).all()
    )
    index(connection, [(pk, account_id, text_of(body, errors.get(pk))) for pk, body in rows])


def unindex_by_id(conn: Connection, activity_pks) -> None:
    """PostgreSQL: remove the rows of these activities (a list or a subquery of pks)."""
    conn.execute(delete(table("activity_search", column("activity_pk"))).where(column("activity_pk").in_(activity_pks)))


def text_match(conn: Connection, account_id: int, query: str) -> PostgresMatch | SqliteMatch:
    """The index's answers about `query` (the user's words) for one account."""
    if conn.dialect.name == "sqlite":
        return SqliteMatch(conn, account_id, query)
    return PostgresMatch(conn, account_id, query)


class PostgresMatch:
    """The session list filters by `session_pks()` in one query. PostgreSQL plans it by its estimate of the
    matches: many, and it walks the sessions in the list's order, testing their activities until the page is
    full (milliseconds for a common word); few, and it reads them from the GIN index first. But a prefix's
    estimate is a fixed guess, and a word that no activity holds was walked through every session (2.4 s at
    1,000,000 activities). So when a word of the query is rare, the GIN index is read first here (a rare word's
    entries are short, about a millisecond) and, with at most FEW_MATCHES matches, the query starts from them.
    Rare is not among the index's most common words, as ANALYZE lists them in `pg_stats` (up to 1,000; a word
    with fewer matches than the least of them, some thousands at 1M). A word that begins one of them counts as
    common, since it stands for it as a prefix; and with no statistics yet, every word is rare."""

    walks = False  # see SqliteMatch
    FEW_MATCHES = 1000

    def __init__(self, conn: Connection, account_id: int, query: str) -> None:
        self.conn, self.account_id = conn, account_id
        self.words = [word.lower() for word in query_words(query)]
        self.params = {"words": ts_query(query), "q": query, "account": account_id}

    def session_pks(self) -> TextClause:
        """SQL selecting the pks of the account's sessions with a matching activity; when a word is rare,
        the matching activities are read here first and the SQL names them."""
        if not all(map(_common_words(self.conn).holds, self.words)):
            few = list(self.conn.execute(_TS_MATCHES_UP_TO, {**self.params, "cap": self.FEW_MATCHES + 1}).scalars())
            if len(few) <= self.FEW_MATCHES:
                return _SESSIONS_OF_PKS.bindparams(account=self.account_id, pks=few)
        return _SESSIONS_OF_MATCHES.bindparams(**self.params)


# The query as `plainto_tsquery` parses it only adds matches when it holds punctuation, but asked alone for
# plain words the planner estimated fewer matches and read three common prefixes from the GIN index (150 ms
# at 1M) instead of walking the sessions (64 ms): both are asked, always.
_TS_MATCHES = (
    "SELECT activity_pk FROM activity_search WHERE account_id = :account "
    "AND (tsv @@ to_tsquery('simple', :words) OR tsv @@ plainto_tsquery('simple', :q))"
)
_TS_MATCHES_UP_TO = text(f"{_TS_MATCHES} LIMIT :cap")
_SESSIONS_OF_MATCHES = text(
    f"SELECT a.session_pk FROM activities a WHERE a.account_id = :account AND a.pk IN ({_TS_MATCHES})"
)
_SESSIONS_OF_PKS = text("SELECT session_pk FROM activities WHERE account_id = :account AND pk = ANY(:pks)")


class _CommonWords:
    """The index's most common words, as `pg_stats` had them when they were read (`read_at`, monotonic)."""

    def __init__(self, words: list[str], read_at: float) -> None:
        self.sorted, self.read_at = sorted(words), read_at

    def holds(self, word: str) -> bool:
        """Whether `word` is one of them, or, as a prefix (MIN_PREFIX characters or more), begins one."""
        at = bisect.bisect_left(self.sorted, word)
        if at == len(self.sorted):
            return False
        found = self.sorted[at]
        return found == word or (_is_prefix(word) and found.startswith(word))


COMMON_WORDS_SECONDS = 600
_COMMON_WORDS = text(
    "SELECT s.most_common_elems::text::text[] FROM pg_stats s "
    "JOIN pg_class c ON c.relname = s.tablename JOIN pg_namespace n ON n.oid = c.relnamespace "
    "AND n.nspname = s.schemaname WHERE c.oid = to_regclass('activity_search') AND s.attname = 'tsv'"
)


def _common_words(conn: Connection) -> _CommonWords:
    """Read again after COMMON_WORDS_SECONDS; kept with the database connection (`Connection.info` lives as
    long as the pooled connection), so each database has its own."""
    held = conn.info.get("common_words")
    now = time.monotonic()
    if held is None or now - held.read_at >= COMMON_WORDS_SECONDS:
        held = conn.info["common_words"] = _CommonWords(conn.execute(_COMMON_WORDS).scalar() or [], now)
    return held


@dataclass
class Batch:
    """Sessions the walk asks about, in the list's order, with their activities' pks; and what the index is
    asked: the ranges those pks lie in, or, made while the matches are held, those pks that match."""

    sessions: list[int]
    activities: list[int]
    ranges: list[tuple[int, int]]
    hits: list[int] | None = None


@dataclass
class Matches:
    pks: str  # every matching activity's pk (of any account), a JSON array
    count: int


class SqliteMatch:
    """SQLite has no statistics (nothing runs ANALYZE) and plans the one-query filter by reading every
    activity of the account, 150-250 ms at 1,000,000; so the session list walks its sessions and asks which
    match (`sessions_among`), or lets the matches drive when the index says they are few (`matches_up_to`).
    Sessions are tested against the index's matches within the ranges of their activities' pks, or, once the
    list `hold`s every match, against those: fewer than the ranges would cost to read is a cheaper test, as in
    the cost and token orders, whose neighbouring sessions lie far apart and need a range each.

    The costs are in microseconds per unit, measured on the 1M-activity benchmark store (docs/benchmarks.md):
    reading an activity's pk and testing it by the index (its share of the hits read within the ranges and by
    pk); opening the index at one range of pks, per term (a word, or one that a prefix stands for: FTS5 seeks
    in every segment for each, 25 µs among the oldest pks, 60 µs in the middle, 200 µs among the newest);
    reading a matching activity by pk and its session when the matches drive (scattered rows); holding a
    match, per term (read from the index, which intersects the words' lists, and kept in a set: 0.15 µs for
    one word, 0.33 for two, 1.2 for a rare combination of three); testing an activity by the held matches."""

    walks = True
    activity_cost, range_cost, match_cost, hold_cost, held_cost = 0.8, 100.0, 8.0, 0.3, 0.6
    RANGE_GAP = 4096  # activities whose pks lie further apart than this are looked up in separate ranges

    def __init__(self, conn: Connection, account_id: int, query: str) -> None:
        self.conn, self.account_id = conn, account_id
        self.phrase, self.words = fts_phrase(conn, query)
        self._counted, self._matches = -1, "[]"  # matches read so far, and their pks as a JSON array
        self._complete = False  # whether that was every match
        self.held: Matches | None = None  # every match, once held
        self._held_pks: set[int] = set()

    def matches_up_to(self, cap: int) -> Matches | None:
        """Every match when there are at most `cap`, else None. The index is read half as far again as asked,
        so that the walk's next, similar question is answered from what was read; SQLite builds the array, at
        about the cost of counting."""
        if not self._complete and cap >= self._counted:
            limit = max(cap, self._counted) * 3 // 2 + 1
            self._counted, self._matches = self.conn.execute(_MATCHES, {"q": self.phrase, "n": limit}).one()
            self._complete = self._counted < limit
        return Matches(self._matches, self._counted) if self._complete and self._counted <= cap else None

    def hold(self, matches: Matches) -> None:
        """Test sessions against these matches from now on instead of asking the index."""
        self.held, self._held_pks = matches, set(json.loads(matches.pks))

    def batch(self, session_pks: list[int]) -> Batch:
        """The sessions with their activities' pks (from the session index alone), and those pks merged into
        ranges or, with the matches held, tested against them."""
        pks = json.loads(self.conn.execute(_ACTIVITIES, {"sessions": json.dumps(session_pks)}).scalar_one())
        if self.held is not None:
            return Batch(session_pks, pks, [], [pk for pk in pks if pk in self._held_pks])
        return Batch(session_pks, pks, _ranges(sorted(pks), self.RANGE_GAP))

    def sessions_among(self, batch: Batch) -> set[int]:
        """Which of the batch's sessions have a matching activity: the sessions of its hits, each read by pk for
        its session and account; the hits are among the held matches, or else among the index's matches
        within the batch's ranges (FTS5 seeks to a rowid range instead of reading every match)."""
        if self.held is not None and batch.hits is None:  # made before the matches were held
            batch = self.batch(batch.sessions)
        hits = batch.hits if batch.hits is not None else self._hits_in_ranges(batch)
        if not hits:
            return set()
        return set(self.conn.execute(self.sessions_of(json.dumps(hits))).scalars()) & set(batch.sessions)

    def _hits_in_ranges(self, batch: Batch) -> list[int]:
        """The batch's activities among the index's matches within its ranges. A range may hold other sessions'
        activities too: their matches are dropped here, before anything is read for them."""
        if not batch.ranges:
            return []
        params = {"ranges": json.dumps(batch.ranges), "q": self.phrase}
        mine = set(batch.activities)
        return [pk for pk in json.loads(self.conn.execute(_MATCHES_IN_RANGES, params).scalar_one()) if pk in mine]

    def sessions_of(self, activity_pks: str) -> TextClause:
        """SQL selecting the account's sessions of these activities (a JSON array of pks), each read by pk."""
        return text(
            "SELECT a.session_pk FROM json_each(:activities) AS m CROSS JOIN activities AS a ON a.pk = m.value "
            "WHERE a.account_id = :account"
        ).bindparams(activities=activity_pks, account=self.account_id)


_MATCHES = text(
    "SELECT count(*), json_group_array(rowid) FROM "
    "(SELECT rowid FROM activity_search WHERE activity_search MATCH :q LIMIT :n)"
)
_ACTIVITIES = text(  # one row: SQLAlchemy would take longer over a row an activity than SQLite over them all
    "SELECT json_group_array(pk) FROM activities WHERE session_pk IN (SELECT value FROM json_each(:sessions))"
)
_MATCHES_IN_RANGES = text(
    "SELECT json_group_array(f.rowid) FROM json_each(:ranges) AS r CROSS JOIN activity_search AS f "
    "WHERE f.activity_search MATCH :q "
    "AND f.rowid BETWEEN json_extract(r.value, '$[0]') AND json_extract(r.value, '$[1]')"
)


def _ranges(pks: Sequence[int], gap: int) -> list[tuple[int, int]]:
    """Sorted pks merged into (first, last) ranges, wherever they lie at most `gap` apart."""
    if not pks:
        return []
    cuts = [i for i in range(1, len(pks)) if pks[i] - pks[i - 1] > gap]
    return [(pks[start], pks[end - 1]) for start, end in zip([0, *cuts], [*cuts, len(pks)])]


def query_words(query: str) -> list[str]:
    """The user's words: runs of letters and digits, which neither index's query syntax gives a meaning to, a
    run of Chinese or Japanese parted from the letters beside it and, of two characters or more, asked as its
    pairs (东京大学: 东京, 京大, 大学); each word once."""
    words = _WORDS.findall(query)
    if not any(map(_CJK.search, words)):
        return words
    asked: dict[str, None] = {}
    for word in _WORDS.findall(_CJK.sub(r" \g<0> ", query)):
        asked.update(dict.fromkeys(_pairs(word)[:-1] if len(word) > 1 and _CJK.match(word) else [word]))
    return list(asked)


def _is_prefix(word: str) -> bool:
    """Whether a word of the user's also matches the longer words it begins: one of MIN_PREFIX characters or
    more, or a Chinese or Japanese character alone (the pairs it begins)."""
    return len(word) >= MIN_PREFIX or (len(word) == 1 and _CJK.match(word) is not None)


def ts_query(query: str) -> str:
    """The words as PostgreSQL's `to_tsquery` reads them: each quoted, `:*` for a prefix, all joined by `&`.
    PostgreSQL also keeps some runs with punctuation as one token (`1.5`, an email address), which these
    words do not name: the list asks this or the query as `plainto_tsquery` parses it."""
    return " & ".join(f"'{w}':*" if _is_prefix(w) else f"'{w}'" for w in query_words(query))


def fts_phrase(conn: Connection, query: str) -> tuple[str, int]:
    """The words as an FTS5 query, each quoted so that FTS5's syntax never applies (the index keeps no
    positions, so a quoted phrase may hold only one token), all joined by AND; and how many terms it asks
    the index for (`SqliteMatch`'s costs are per term)."""
    words = query_words(query)
    if any(map(_expanded, words)):
        conn.execute(_TERMS_TABLE)
    words = [_fts_word(conn, w) for w in words]
    return " AND ".join(w for w, _terms in words) or '""', max(1, sum(terms for _word, terms in words))


def _fts_word(conn: Connection, word: str) -> tuple[str, int]:
    """One word in FTS5's syntax, and how many terms it asks for. Without a prefix index FTS5 reads every match
    of a prefix (`"rot"*`) each time it is asked, whatever the range of pks (14 ms for `refun` at 1M); so an ASCII
    prefix (the tokenizer only lowercases ASCII) or a Chinese or Japanese character (which have no case) is
    looked up among the index's terms and asked as their OR, each term seeking as a word does. Any other, or one
    of more than MAX_TERMS terms, is asked as a prefix and costed as MAX_TERMS terms."""
    if not _is_prefix(word):
        return _quoted(word), 1
    if _expanded(word):
        low = word.lower()
        terms = conn.execute(_TERMS, {"low": low, "high": low + "\U0010ffff", "n": MAX_TERMS + 1}).scalars().all()
        if not terms:
            return '""', 1  # matches nothing
        if len(terms) <= MAX_TERMS:
            return "(" + " OR ".join(_quoted(t) for t in terms) + ")", len(terms)
    return _quoted(word) + "*", MAX_TERMS


def _expanded(word: str) -> bool:
    """Whether the word is asked as the terms it begins (`_fts_word`)."""
    return _is_prefix(word) and (word.isascii() or _CJK.match(word) is not None)


def _quoted(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


MAX_TERMS = 64
_TERMS_TABLE = text(  # per connection, made by the first query that expands a word: the index's terms, in order
    "CREATE VIRTUAL TABLE IF NOT EXISTS temp.activity_search_terms USING fts5vocab(main, activity_search, row)"
)
_TERMS = text("SELECT term FROM temp.activity_search_terms WHERE term >= :low AND term < :high LIMIT :n")
_WORDS = re.compile(r"[^\W_]+")
