"""The session list's text search gives exactly the sessions a brute-force reading of the store gives, in the
list's order and pages, on SQLite (whichever way the search goes: walking the sessions and asking the index,
letting the matches drive, walking and testing by the held matches, or one then another) and on PostgreSQL.

The store is built to defeat shortcuts: session start times do not follow insertion order, some activities
arrive long after their session's others (pks far apart), start times, costs and token totals tie, another
account uses the same words, and some sessions have no activity or no text. Words of MIN_PREFIX letters or more
also match the words they begin (`ban`: banana, bandit), shorter ones only themselves."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest

from promptwatch.server.store import search, session_order, session_queries
from promptwatch.server.store.accounts import create_account, ensure_project
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.schema_version import upgrade
from promptwatch.server.store.session_queries import SORTS, SessionFilter
from promptwatch.server.store.tables.activities import activities
from promptwatch.server.store.tables.sessions import sessions
from tests.support.databases import fresh_database

START = datetime(2026, 11, 1, tzinfo=timezone.utc)
# word -> share of activities whose text holds it: frequent, common, uncommon, and one in three activities only
WORDS = {"apple": 0.6, "banana": 0.25, "bandit": 0.1, "cherry": 0.05}
RARE = "damson"
QUERIES = (
    "apple",
    "banana cherry",
    "CHERRY",
    RARE,
    f"apple {RARE}",
    "apple banana cherry",
    "zucchini",
    "!!",
    "ban",  # banana or bandit
    "Ban CHE",  # both prefixes
    "ap",  # too short to be a prefix: nothing
)
PAGE = 13


@dataclass
class Session:
    pk: int
    account: int
    project: int
    tenant: str | None
    start: datetime
    is_error: bool
    cost: float
    tokens: int
    tags: list | None
    meta: dict | None
    activities: list[dict] = field(default_factory=list)


@dataclass
class Store:
    engine: object
    dialect: str
    accounts: tuple[int, int]
    projects: dict[int, list[int]]
    sessions: list[Session]


@pytest.fixture(scope="module")
def store(backend, tmp_path_factory):
    yield from _stored(backend, tmp_path_factory)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    """For the routes only SQLite's search takes (PostgreSQL filters by the matches in one query)."""
    yield from _stored("sqlite", tmp_path_factory)


@pytest.fixture(scope="module")
def postgres_store(tmp_path_factory):
    """For PostgreSQL's two routes: from the rare words' matches, or by the planner's choice."""
    yield from _stored("postgresql", tmp_path_factory)


def _stored(backend: str, tmp_path_factory):
    with fresh_database(backend, tmp_path_factory.mktemp(f"search-{backend}")) as url:
        engine = make_engine(url)
        upgrade(engine)
        try:
            filled = _fill(engine, random.Random(7))
            if backend == "postgresql":  # as autovacuum soon would: unanalyzed, a page took 100+ ms here
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("ANALYZE")
            yield filled
        finally:
            engine.dispose()


def _fill(engine, rng: random.Random) -> Store:
    with engine.begin() as conn:
        accounts = (create_account(conn, "searched", START), create_account(conn, "neighbour", START))
        projects = {a: [ensure_project(conn, a, name, START) for name in ("p1", "p2")] for a in accounts}
    slots = [START + timedelta(minutes=7 * i) for i in range(500)]  # fewer than sessions: start times tie
    made = []
    for number in range(360):
        account = accounts[0] if number % 5 else accounts[1]
        made.append(
            Session(
                pk=0,
                account=account,
                project=rng.choice(projects[account]),
                tenant=rng.choice(("acme", "globex", None)),
                start=rng.choice(slots),
                is_error=rng.random() < 0.15,
                cost=rng.choice((0.0, 0.5, 1.0, 1.5)),
                tokens=rng.choice((0, 100, 200, 300)),
                tags=rng.choice((["beta"], ["prod"], None)),
                meta=rng.choice(({"env": "prod"}, {"env": "dev"}, None)),
            )
        )
    # half inserted in start order, half shuffled: session (and activity) pks follow start times only partly
    half = len(made) // 2
    made = sorted(made[:half], key=lambda s: s.start) + made[half:]
    for pk, item in enumerate(made, start=1):
        item.pk = pk
        for position in range(rng.choice((0, 1, 2, 3, 5, 8))):
            item.activities.append(_activity(rng, item, position))
    rare_ones = rng.sample([a for s in made if s.account == accounts[0] for a in s.activities], 3)
    for activity in rare_ones + [next(a for s in made if s.account == accounts[1] for a in s.activities)]:
        activity["text"] += f" {RARE}"
    queue = [a for s in made for a in s.activities]
    late = [a for a in queue if rng.random() < 0.15]  # written after everything else: pks far from the others
    queue = [a for a in queue if a not in late] + late
    for pk, activity in enumerate(queue, start=1):
        activity["pk"] = pk
    _write(engine, made, queue)
    return Store(engine, engine.dialect.name, accounts, projects, made)


def _activity(rng: random.Random, owner: Session, position: int) -> dict:
    words = ["lorem", "ipsum"] + [word for word, share in WORDS.items() if rng.random() < share]
    rng.shuffle(words)
    return {
        "session": owner,
        "model": rng.choice(("m1", "m2", None)),
        "template": rng.choice(("t1", None)),
        "text": " ".join(words) if rng.random() < 0.9 else "",  # no text: not in the index
        "start": owner.start + timedelta(seconds=position),
    }


def _write(engine, made: list[Session], queue: list[dict]) -> None:
    with engine.begin() as conn:
        conn.execute(
            sessions.insert(),
            [
                {
                    "pk": s.pk,
                    "account_id": s.account,
                    "id": f"s{s.pk}",
                    "project_id": s.project,
                    "tracking_tenant": s.tenant,
                    "start_time": s.start,
                    "is_error": s.is_error,
                    "activity_count": len(s.activities),
                    "total_tokens": s.tokens,
                    "cost": s.cost,
                    "tags": s.tags,
                    "metadata": s.meta,
                    "source": "native",
                    "updated_at": START,
                }
                for s in made
            ],
        )
        conn.execute(
            activities.insert(),
            [
                {
                    "pk": a["pk"],
                    "account_id": a["session"].account,
                    "session_pk": a["session"].pk,
                    "id": f"a{a['pk']}",
                    "activity_type": "llm-prompt",
                    "start_time": a["start"],
                    "model": a["model"],
                    "template_name": a["template"],
                    "tokens_counted": False,
                    "updated_at": START,
                }
                for a in queue
            ],
        )
        search.index(conn, [(a["pk"], a["session"].account, a["text"]) for a in queue])


def _expected(store: Store, account: int, where: SessionFilter, sort: str) -> list[int]:
    """Brute force: every session of the account, filtered and sorted in Python."""
    words = {w.lower() for w in re.findall(r"[^\W_]+", where.q or "")}

    def found(word: str, text: str) -> bool:
        return any(t == word or (len(word) >= search.MIN_PREFIX and t.startswith(word)) for t in text.split())

    def matches(s: Session) -> bool:
        return where.q is None or (bool(words) and any(all(found(w, a["text"]) for w in words) for a in s.activities))

    def passes(s: Session) -> bool:
        return (
            s.account == account
            and (where.project_id is None or s.project == where.project_id)
            and (where.tenant is None or s.tenant == where.tenant)
            and (where.since is None or s.start >= where.since)
            and (where.until is None or s.start < where.until)
            and (where.has_error is None or s.is_error == where.has_error)
            and (where.model is None or any(a["model"] == where.model for a in s.activities))
            and (where.template is None or any(a["template"] == where.template for a in s.activities))
            and (where.tag is None or where.tag in (s.tags or []))
            and all((s.meta or {}).get(k) == v for k, v in (where.metadata or {}).items())
            and matches(s)
        )

    key = {"newest": "start", "oldest": "start", "cost": "cost", "tokens": "tokens"}[sort]
    chosen = sorted((s for s in store.sessions if passes(s)), key=lambda s: (getattr(s, key), s.pk))
    return [s.pk for s in (reversed(chosen) if SORTS[sort][1] else chosen)]


def _pages(store: Store, account: int, where: SessionFilter, sort: str) -> list[list[int]]:
    """The list read page by page with the cursor, as the service reads it."""
    column = SORTS[sort][0].name
    pages, after = [], None
    with store.engine.connect() as conn:
        while True:
            rows = session_queries.list_sessions(conn, account, where, PAGE, sort, after)
            pages.append([r["pk"] for r in rows])
            if len(rows) < PAGE or len(pages) > len(store.sessions) // PAGE + 1:  # a cursor that never ends
                return pages
            after = (rows[-1][column], rows[-1]["pk"])


class Walking(search.SqliteMatch):
    """Never lets the matches drive nor holds them; every activity in a range of its own, so that the first
    batch is cut to what would finish the page (as in the cost and token orders of a large store)."""

    RANGE_GAP = 0

    def matches_up_to(self, cap: int) -> search.Matches | None:
        return None


class Driven(search.SqliteMatch):
    """Lets the matches drive from the start."""

    hold_cost = 1e9

    def matches_up_to(self, cap: int) -> search.Matches | None:
        return super().matches_up_to(10**9)


class Held(search.SqliteMatch):
    """Holds the matches from the start and tests every session by them."""

    match_cost = 1e9

    def matches_up_to(self, cap: int) -> search.Matches | None:
        return super().matches_up_to(10**9)


class _DrivenFromTheSecondAsk(search.SqliteMatch):
    """Declines to give the matches the first time it is asked, gives all of them after."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.asked = 0

    def matches_up_to(self, cap: int) -> search.Matches | None:
        self.asked += 1
        return None if self.asked == 1 else super().matches_up_to(10**9)


class HandingOver(_DrivenFromTheSecondAsk):
    """Walks one batch, then lets the matches drive from where the walk stopped."""

    hold_cost = 1e9


class HoldingThenDriven(_DrivenFromTheSecondAsk):
    """Walks one batch by the index, holds the matches for the next, then lets them drive."""

    match_cost = 1e9

    def sessions_among(self, batch: search.Batch) -> set[int]:
        if self.held is not None:
            self.match_cost = 0.0
        return super().sessions_among(batch)


ROUTES = {
    "walking": Walking,
    "driven": Driven,
    "held": Held,
    "handing over": HandingOver,
    "holding, then driven": HoldingThenDriven,
}


def _filters(store: Store) -> list[dict]:
    account = store.accounts[0]
    middle = START + timedelta(minutes=7 * 250)
    return [
        {},
        {"project_id": store.projects[account][1]},
        {"tenant": "acme", "has_error": False},
        {"since": middle - timedelta(days=1), "until": middle},
        {"model": "m2"},
        {"template": "t1", "tag": "beta"},
        {"metadata": {"env": "prod"}, "has_error": True},
        {"project_id": store.projects[store.accounts[1]][0]},  # the neighbour's project: nothing
    ]


@pytest.mark.parametrize("sort", SORTS)
def test_search_pages_equal_brute_force(store, sort):
    _check_every_query(store, sort)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("sort", SORTS)
def test_each_sqlite_search_route_pages_equal_brute_force(sqlite_store, sort, route, monkeypatch):
    monkeypatch.setattr(search, "text_match", ROUTES[route])
    _check_every_query(sqlite_store, sort)


POSTGRES_ROUTES = {  # (the words the statistics call common, FEW_MATCHES)
    "every word common: the planner's choice": (sorted({*WORDS, RARE, "zucchini", "ap"}), 1000),
    "every word rare: from the matches": ([], 1000),
    "every word rare, too many matches: the planner's choice": ([], 0),
}


@pytest.mark.parametrize("route", POSTGRES_ROUTES)
@pytest.mark.parametrize("sort", SORTS)
def test_each_postgresql_search_route_pages_equal_brute_force(postgres_store, sort, route, monkeypatch):
    common, few = POSTGRES_ROUTES[route]
    monkeypatch.setattr(search, "_common_words", lambda _conn: search._CommonWords(common, 0.0))
    monkeypatch.setattr(search.PostgresMatch, "FEW_MATCHES", few)
    _check_every_query(postgres_store, sort)


def test_postgresql_reads_the_common_words_from_the_statistics_once_per_connection(postgres_store, monkeypatch):
    with postgres_store.engine.connect() as conn:
        common = search._common_words(conn)
        assert common.holds("apple") and common.holds("ban")  # in 60 % and 25 % of the activities
        assert not common.holds("zucchini")
        monkeypatch.setattr(search, "_COMMON_WORDS", None)  # not read again while fresh
        assert search._common_words(conn) is common


def test_postgresql_counts_a_word_common_when_it_is_or_begins_a_common_word():
    common = search._CommonWords(["contract", "refund", "12345"], 0.0)
    assert [common.holds(w) for w in ("refund", "con", "contract", "123", "12345")] == [True] * 5
    assert [common.holds(w) for w in ("co", "refunds", "zebra", "a", "1234567")] == [False] * 5


@pytest.mark.parametrize("sort", SORTS)
def test_prefixes_with_too_many_terms_asked_as_prefixes_page_equal_brute_force(sqlite_store, sort, monkeypatch):
    """A prefix standing for more of the index's terms than MAX_TERMS goes to FTS5 as a prefix query."""
    monkeypatch.setattr(search, "MAX_TERMS", 1)
    _check_every_query(sqlite_store, sort, ("ban", "Ban CHE", f"app {RARE}"))


@pytest.mark.parametrize("read", ["sorted", "in the order"])
@pytest.mark.parametrize("sort", SORTS)
def test_time_ranges_page_equal_brute_force(store, sort, read, monkeypatch):
    """A time range read from a start-time index and sorted, or (SQLite, cost and token orders) in the order's
    index with the start time taken from it, with and without words: the same sessions, order and pages."""
    monkeypatch.setattr(session_order, "SORTED_RANGE", 10**9 if read == "sorted" else 1)
    account = store.accounts[0]
    first, last = min(s.start for s in store.sessions), max(s.start for s in store.sessions)
    middle = first + (last - first) / 2
    ranges = [
        {"since": first + timedelta(hours=1)},
        {"until": middle},
        {"since": middle - timedelta(hours=6), "until": middle + timedelta(hours=6)},
        {"since": middle, "project_id": store.projects[account][0]},
        {"since": middle, "tenant": "globex", "has_error": False},
        {"since": last + timedelta(seconds=1)},  # nothing
    ]
    _check_every_query(store, sort, (None, "apple", "banana cherry", RARE), ranges)


def _check_every_query(store: Store, sort: str, queries=QUERIES, filters: list[dict] | None = None) -> None:
    account = store.accounts[0]
    for q in queries:
        for extra in _filters(store) if filters is None else filters:
            where = SessionFilter(q=q, **extra)
            expected = _expected(store, account, where, sort)
            pages = _pages(store, account, where, sort)
            assert [pk for page in pages for pk in page] == expected, (q, extra)
            assert pages == [expected[i : i + PAGE] for i in range(0, len(expected) + 1, PAGE)], (q, extra)


def test_the_store_exercises_what_it_should(store):
    """Frequent and rare words, ties, and start times against pks: the data the brute-force test relies on."""
    mine = [s for s in store.sessions if s.account == store.accounts[0]]
    assert 1 <= len(_expected(store, store.accounts[0], SessionFilter(q=RARE), "newest")) <= 3
    assert len(_expected(store, store.accounts[1], SessionFilter(q=RARE), "newest")) == 1
    assert len(_expected(store, store.accounts[0], SessionFilter(q="apple"), "newest")) > 3 * PAGE
    assert len({s.start for s in mine}) < len(mine)  # ties in the sort value
    by_start = sorted(mine, key=lambda s: (s.start, s.pk))
    assert any(a.pk > b.pk for a, b in zip(by_start, by_start[1:]))  # start order is not pk order
    spans = [max(a["pk"] for a in s.activities) - min(a["pk"] for a in s.activities) for s in mine if s.activities]
    assert max(spans) > 500  # late activities
