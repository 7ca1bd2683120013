"""The semantic cache: the published client's `/prompt-cache` endpoints and the native cache API.

Entries live in the database per account and namespace (WIRE_PROTOCOL §7.3). A lookup takes the entries of
the namespace with the same template identity (null matches null), the same embedder and the same vector
shape, ranks them by similarity (`cache_index`, an in-process accelerator), re-reads the best ones from the
database and serves the first that passes `min_similarity` *and* the guards of `cache_matching` (the template
inputs one by one; for text, what differs between the prompts). Every lookup is counted, hit or miss, in its
namespace's row of the day: the namespaces list their hit rate. The counts gather in memory (`cache_tally`),
so a lookup only reads; the namespace list adds those not written yet, and a whole namespace's clear drops
those its deletion takes.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from datetime import datetime, timezone

from promptwatch.schema import text_embedding
from promptwatch.schema.prompt_loop import CacheEntryCreate, CacheLookup

from ..errors import Forbidden, InvalidInput
from ..store import prompt_cache as store
from . import cache_matching as matching
from .clock import utc_now
from .credentials import Caller
from .json_bodies import storable_text
from .money import money
from .runtime import Runtime
from .text_embedders import TextEmbedder, default_text_embedder

DEFAULT_CLIENT_SIMILARITY = 0.97
MAX_NAMESPACE = 512
MAX_RESULT_CHARS = 2_000_000
STALE_SCORE = 1e-4  # a candidate scoring otherwise when re-read was changed since the index read it


def parse_until(value: str | None) -> datetime | None:
    """`str(datetime)` as the published client sends it (`2020-01-01 00:00:00+00:00`), or ISO-8601."""
    if value is None or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput("until must be a date and time, e.g. 2020-01-01 00:00:00+00:00", field="until") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _identity(value) -> str:
    return value if isinstance(value, str) else ""


class PromptCacheService:
    def __init__(self, runtime: Runtime, embedder: TextEmbedder | None = None) -> None:
        self._rt = runtime
        self._embedder = embedder or default_text_embedder()

    @functools.cached_property
    def _index(self):
        from .cache_index import VectorIndex  # numpy: imported on the first lookup, not at start-up

        return VectorIndex()

    def _check(self, caller: Caller, namespace: str, scope: str) -> None:
        caller.require(scope)
        if not namespace or len(namespace) > MAX_NAMESPACE:
            raise InvalidInput(f"a namespace has 1 to {MAX_NAMESPACE} characters", field="namespace")
        if caller.project and not namespace.startswith(caller.project + "."):
            raise Forbidden(f"this key is limited to project {caller.project!r}: use namespaces '{caller.project}.*'")

    # the published client ---------------------------------------------------------------------------

    def legacy_get(self, caller: Caller, namespace: str, body, min_similarity: float | None) -> dict:
        """Hit: {"result", "similarity"}; miss (or anything unusable): {}."""
        self._check(caller, namespace, "read")
        if not isinstance(body, dict):
            return {}
        parsed = matching.parse_embedding(body.get("embedding"))
        if parsed is None:
            return {}
        vectors, count = parsed
        threshold = DEFAULT_CLIENT_SIMILARITY if min_similarity is None else min_similarity
        input_values = body.get("prompt_input_values") if isinstance(body.get("prompt_input_values"), dict) else None
        hit = self._lookup(
            caller.account_id,
            namespace,
            _identity(body.get("prompt_template_identity")),
            matching.CLIENT_EMBEDDER,
            vectors,
            count,
            threshold,
            None,
            input_values,
        )
        return {"result": hit["result"], "similarity": hit["similarity"]} if hit else {}

    def legacy_add(self, caller: Caller, namespace: str, body) -> bool:
        self._check(caller, namespace, "ingest")
        if not isinstance(body, dict) or not isinstance(body.get("result"), str):
            return False
        parsed = matching.parse_embedding(body.get("embedding"))
        if parsed is None:
            return False
        vectors, count = parsed
        entry_id = body.get("id") if isinstance(body.get("id"), str) and body["id"] else None
        input_values = body.get("prompt_input_values") if isinstance(body.get("prompt_input_values"), dict) else None
        self._store(
            caller.account_id,
            namespace,
            entry_id,
            _identity(body.get("prompt_template_identity")),
            matching.CLIENT_EMBEDDER,
            vectors,
            count,
            body["result"],
            None,
            input_values,
        )
        return True

    def clear(self, caller: Caller, namespace: str, until: str | None) -> int:
        """The namespace's entries (those created before `until`) go; in the deletion ledger (the namespace's
        keyed hash) just before the commit, so that a restore of an older backup clears them again."""
        self._check(caller, namespace, "ingest")
        moment = parse_until(until)
        if moment is None:  # cleared whole, its counts go too (`store.clear`)
            transaction = self._rt.cache_tally.settled(caller.account_id, namespace)
        else:
            transaction = self._rt.engine.begin()
        with transaction as conn:
            deleted = store.clear(conn, caller.account_id, namespace, moment)
            entry = {"kind": "cache_cleared", "at": utc_now(), "account_id": caller.account_id, "until": moment}
            self._rt.ledger.append({**entry, "namespace_hash": self._rt.ledger.hash(namespace)})
        return deleted

    # the native API -----------------------------------------------------------------------------------

    def add(self, caller: Caller, namespace: str, entry: CacheEntryCreate) -> dict:
        self._check(caller, namespace, "ingest")
        entry = _storable(entry)
        embedder, vectors, count = self._vectors(entry.text, entry.embedding)
        entry_id = entry.id or _content_id(entry.text, vectors)
        self._store(
            caller.account_id,
            namespace,
            entry_id,
            entry.template_identity or "",
            embedder,
            vectors,
            count,
            entry.result,
            entry.text,
            entry.input_values,
        )
        return {"id": entry_id, "namespace": namespace, "embedder": embedder}

    def lookup(self, caller: Caller, namespace: str, query: CacheLookup) -> dict:
        self._check(caller, namespace, "read")
        query = _storable(query)
        embedder, vectors, count = self._vectors(query.text, query.embedding)
        if query.min_similarity is not None:
            threshold = query.min_similarity
        else:
            threshold = self._embedder.default_similarity if query.embedding is None else DEFAULT_CLIENT_SIMILARITY
        hit = self._lookup(
            caller.account_id,
            namespace,
            query.template_identity or "",
            embedder,
            vectors,
            count,
            threshold,
            query.text,
            query.input_values,
        )
        if not hit:
            return {"hit": False, "result": None, "similarity": None, "id": None}
        return {"hit": True, **hit}

    def namespaces(self, caller: Caller) -> dict:
        caller.require("read")
        with self._rt.engine.connect() as conn, self._rt.cache_tally.unwritten(caller.account_id) as held:
            rows = {r["namespace"]: dict(r) for r in store.namespaces(conn, caller.account_id)}
            saved = store.saved_by_namespace(conn, caller.account_id)
            counted = store.lookups_by_namespace(conn, caller.account_id)
        for namespace, (lookups, hits) in held.lookups.items():
            written = counted.get(namespace, (0, 0))
            counted[namespace] = (written[0] + lookups, written[1] + hits)
        for namespace, last in held.last_hit.items():
            if namespace in rows:
                rows[namespace]["last_hit_at"] = max(filter(None, (rows[namespace]["last_hit_at"], last)))
        names = sorted(rows.keys() | counted.keys())
        if caller.project:
            names = [n for n in names if n.startswith(caller.project + ".")]
        items = [_namespace_item(n, rows.get(n), saved.get(n, 0.0), counted.get(n, (0, 0))) for n in names]
        return {"items": items}

    # shared ---------------------------------------------------------------------------------------------

    def _vectors(self, text: str | None, embedding) -> tuple[str, list[list[float]], int]:
        if embedding is not None:
            parsed = matching.parse_embedding(embedding)
            if parsed is None:
                raise InvalidInput("embedding must be a vector or a list of vectors of one length", field="embedding")
            return matching.CLIENT_EMBEDDER, parsed[0], parsed[1]
        if text is None or not text.strip():
            raise InvalidInput("send `text` (the server embeds it) or `embedding`", field="text")
        return self._embedder.name, [self._embedder.embed(text)], 0

    def _store(self, account_id, namespace, entry_id, identity, embedder, vectors, count, result, text, inputs):
        if len(result) > MAX_RESULT_CHARS:
            raise InvalidInput("result is too long", field="result")
        row = {
            "account_id": account_id,
            "namespace": namespace,
            "id": (entry_id or _content_id(text, vectors))[:200],
            "template_identity": identity[:600],
            "input_values": inputs,
            "prompt_text": text,
            "embedder": embedder,
            "vector_count": count,
            "dims": len(vectors[0]),
            "embedding": matching.pack(vectors),
            "result": result,
            "hits": 0,
        }
        with self._rt.engine.begin() as conn:
            # stamped under SQLite's write lock, so commit order and `updated_at` order agree, as the index's
            # freshness check expects (where they do not, the index misses an entry until it rebuilds: a miss,
            # never a wrong answer)
            now = utc_now()
            store.upsert_entry(conn, {**row, "created_at": now, "updated_at": now})

    def _lookup(self, account_id, namespace, identity, embedder, vectors, count, threshold, text, inputs):
        query = [text_embedding.normalized(v) for v in vectors]
        part = store.Partition(account_id, namespace, identity, embedder, count, len(query[0]))
        with self._rt.cache_tally.lookup(account_id, namespace) as counted, self._rt.engine.connect() as conn:
            for pk, ranked_score in self._index.ranked(conn, part, query, threshold):
                row = store.entry(conn, part, pk)  # as the database holds it now: a deleted entry is gone
                score = row and matching.similarity(query, matching.unpack(row["embedding"], count, part.dims))
                if row is None or abs(score - ranked_score) > STALE_SCORE:
                    self._index.mark_stale(part)
                if row is not None and score >= threshold and not _refused(row, identity, inputs, text):
                    break
            else:
                row = None
            counted(utc_now(), None if row is None else (row["pk"], row["created_at"]))
        if row is None:
            return None
        return {"result": row["result"], "similarity": min(1.0, round(score, 6)), "id": row["id"]}


def _storable(request: CacheEntryCreate | CacheLookup):
    """The request with its text as ingest stores text (`storable_text`: NUL and half a UTF-16 pair, which JSON
    allows, become U+FFFD), so that the embedder, the entry's id and the store take it, and a lookup finds
    what an entry stored."""
    return request.model_copy(update=storable_text(request.model_dump(exclude={"embedding"})))


def _namespace_item(namespace: str, row, saved_cost: float, counted: tuple[int, int]) -> dict:
    """A namespace's figures: its entries (`row`, None when it holds none), last used when an entry was last
    written or served; what its recorded hits saved; its lookups counted, with their hits, misses and hit rate."""
    held = row or {"entries": 0, "updated_at": None, "last_hit_at": None}
    used = max((t for t in (held["updated_at"], held["last_hit_at"]) if t is not None), default=None)
    lookups, hits = counted
    return {
        **held,
        "namespace": namespace,
        "last_used_at": used,
        "saved_cost": money(saved_cost),
        "lookups": lookups,
        "hits": hits,
        "misses": lookups - hits,
        "hit_rate": round(hits / lookups, 4) if lookups else None,
    }


def _refused(row, identity: str, inputs, text: str | None) -> bool:
    if identity and matching.input_values_guard(inputs, row["input_values"]):
        return True
    stored = row["prompt_text"]
    return bool(text and stored and text != stored and matching.differing_tokens_guard(stored, text))


def _content_id(text: str | None, vectors) -> str:
    if text is not None:
        return str(uuid.uuid5(uuid.NAMESPACE_DNS, text))
    return hashlib.sha256(matching.pack(vectors)).hexdigest()[:40]
