"""Semantic-cache lookup latency at 1,000 / 10,000 / 100,000 entries in one namespace (SQLite, or a fresh
PostgreSQL database), through the service's real lookup (fingerprint check, accelerator ranking, winning rows
re-read from the database), and the previous method in the same run: read every candidate and score it in
pure Python.

    .venv/bin/python bench/cache_lookup.py [--db sqlite|postgresql] [--sizes 1000 10000 100000] [--runs 25]
        [--old-runs 3]

Entries carry random 256-dimension unit vectors (the server's text embedder's shape; ranking cost does not
depend on the content). Reported per size: the median of a miss and of a hit (a stored vector with noise),
the first lookup after the index was built cold, a lookup right after one more entry was added (the index
appends it), and the old scan's median. Writes bench/results/cache_lookup-<db>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from sqlalchemy import insert, select

from promptwatch.schema.prompt_loop import CacheEntryCreate, CacheLookup
from promptwatch.server.services import cache_matching as m
from promptwatch.server.services.credentials import Caller
from promptwatch.server.services.prompt_cache import PromptCacheService
from promptwatch.server.services.runtime import Runtime
from promptwatch.server.settings import Settings
from promptwatch.server.store import prompt_cache as store
from promptwatch.server.store import schema_version
from promptwatch.server.store.engine import make_engine
from promptwatch.server.store.tables.accounts import accounts
from promptwatch.server.store.tables.prompt_cache import cache_entries

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import postgres_database  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DIMS = 256
NAMESPACE = "bench.lookup"


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, DIMS)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def fill(engine, account_id: int, start: int, stop: int, rng: np.random.Generator) -> None:
    moment = datetime.now(timezone.utc)
    vectors = unit(rng, stop - start)
    rows = [
        {
            "account_id": account_id,
            "namespace": NAMESPACE,
            "id": f"e{start + i}",
            "template_identity": "",
            "prompt_text": None,
            "embedder": m.CLIENT_EMBEDDER,
            "vector_count": 0,
            "dims": DIMS,
            "embedding": vectors[i].astype("<f4").tobytes(),
            "result": f"answer {start + i}",
            "hits": 0,
            "created_at": moment + timedelta(microseconds=i),  # each write at its own instant, as in use
            "updated_at": moment + timedelta(microseconds=i),
        }
        for i in range(stop - start)
    ]
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(cache_entries), rows[i : i + 5000])


def old_scan(engine, part: store.Partition, query: list[list[float]]) -> float:
    """The lookup before the accelerator: every candidate read and scored in pure Python."""
    with engine.connect() as conn:
        blobs = conn.execute(select(cache_entries.c.embedding).where(*part.where())).scalars().all()
    return max(m.similarity(query, m.unpack(blob, 0, DIMS)) for blob in blobs)


def timed(call, *args) -> float:
    started = time.perf_counter()
    call(*args)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--old-runs", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    results = []
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        url = stack.enter_context(postgres_database()) if args.db == "postgresql" else f"sqlite:///{tmp}/bench.db"
        settings = Settings(data_dir=Path(tmp))
        engine = make_engine(url)
        schema_version.upgrade(engine)
        with engine.begin() as conn:
            account_id = conn.execute(
                insert(accounts).values(name="bench", created_at=datetime.now(timezone.utc))
            ).inserted_primary_key[0]
        service = PromptCacheService(Runtime.build(settings, engine))
        caller = Caller(account_id=account_id, scope="admin")
        part = store.Partition(account_id, NAMESPACE, "", m.CLIENT_EMBEDDER, 0, DIMS)
        filled = 0
        for size in sorted(args.sizes):
            fill(engine, account_id, filled, size, rng)
            filled = size
            miss = CacheLookup(embedding=unit(rng, 1)[0].tolist(), min_similarity=0.9)
            cold = timed(service.lookup, caller, NAMESPACE, miss)
            misses = [timed(service.lookup, caller, NAMESPACE, miss) for _ in range(args.runs)]
            with engine.connect() as conn:
                stored = conn.execute(select(cache_entries.c.embedding).where(*part.where()).limit(1)).scalar()
            near = np.frombuffer(stored, "<f4") + 0.01 * unit(rng, 1)[0]
            hit = CacheLookup(embedding=near.tolist(), min_similarity=0.9)
            assert service.lookup(caller, NAMESPACE, hit)["hit"]
            hits = [timed(service.lookup, caller, NAMESPACE, hit) for _ in range(args.runs)]
            service.add(caller, NAMESPACE, CacheEntryCreate(embedding=unit(rng, 1)[0].tolist(), result="new"))
            after_add = timed(service.lookup, caller, NAMESPACE, miss)
            filled += 1
            old = [timed(old_scan, engine, part, [miss.embedding]) for _ in range(args.old_runs)]
            row = {
                "entries": filled,
                "miss_median_ms": statistics.median(misses),
                "hit_median_ms": statistics.median(hits),
                "first_lookup_cold_ms": cold,
                "lookup_after_an_add_ms": after_add,
                "old_scan_median_ms": statistics.median(old),
            }
            row["speedup_vs_old_scan"] = row["old_scan_median_ms"] / row["miss_median_ms"]
            results.append(row)
            print(
                f"{filled:>7} entries: miss {row['miss_median_ms']:7.2f} ms  hit {row['hit_median_ms']:7.2f} ms  "
                f"cold {cold:8.1f} ms  after an add {after_add:7.2f} ms  old scan {row['old_scan_median_ms']:9.1f} ms  "
                f"({row['speedup_vs_old_scan']:.0f}x)"
            )
        engine.dispose()
    out = ROOT / "bench" / "results" / f"cache_lookup-{args.db}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"db": args.db, "dims": DIMS, "runs": args.runs, "sizes": results}, indent=2))


if __name__ == "__main__":
    main()
