"""Semantic-cache quality on shared/data/cache_pairs_dev.jsonl: how often the server's matching rule serves
a cached answer for a paraphrase (should) and for a near-miss (must never), plus unrelated pairs (every
`a` against every other row's `b`) at the same gate. Also the same figures for cosine alone, to show what the
guard adds, and the lookup latency of the in-database scan at a given namespace size.

    python bench/cache_quality.py [--data PATH] [--entries 2000]

Writes bench/results/cache_quality.json.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from promptwatch.schema import text_embedding
from promptwatch.server.services import cache_matching as m

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "cache_pairs_dev.jsonl"


def decide(a: str, b: str, threshold: float, guard: bool) -> bool:
    if m.dot(text_embedding.embed_text(a), text_embedding.embed_text(b)) < threshold:
        return False
    return not (guard and a != b and m.differing_tokens_guard(a, b))


def figures(rows: list[dict], threshold: float, guard: bool) -> dict:
    para = [r for r in rows if r["same_answer"]]
    near = [r for r in rows if not r["same_answer"]]
    unrelated = [(x["a"], y["b"]) for x in rows for y in rows if x["a"] != y["a"]]
    return {
        "threshold": threshold,
        "guard": guard,
        "paraphrase_hit_rate": sum(decide(r["a"], r["b"], threshold, guard) for r in para) / len(para),
        "near_miss_false_hit_rate": sum(decide(r["a"], r["b"], threshold, guard) for r in near) / len(near),
        "unrelated_false_hit_rate": sum(decide(a, b, threshold, guard) for a, b in unrelated) / len(unrelated),
        "near_misses_served": [r["b"] for r in near if decide(r["a"], r["b"], threshold, guard)],
    }


def scan_latency(entries: int) -> dict:
    """The lookup's in-process part at `entries` stored vectors (the store read is not included)."""
    rng = random.Random(7)
    words = [
        "alpha",
        "beta",
        "gamma",
        "delta",
        "refund",
        "order",
        "invoice",
        "password",
        "office",
        "plan",
        "support",
        "price",
        "city",
    ]
    stored = [m.pack([text_embedding.embed_text(" ".join(rng.choices(words, k=8)))]) for _ in range(entries)]
    query = [text_embedding.embed_text("refund policy for an order over 100 euros")]
    started = time.perf_counter()
    best = max(m.similarity(query, m.unpack(blob, 0, text_embedding.DIMS)) for blob in stored)
    return {"entries": entries, "scan_ms": (time.perf_counter() - started) * 1000, "best": best}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--entries", type=int, default=2000)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    results = {
        "embedder": text_embedding.EMBEDDER_NAME,
        "pairs": len(rows),
        "server_rule": figures(rows, m.DEFAULT_TEXT_SIMILARITY, guard=True),
        "cosine_alone_same_threshold": figures(rows, m.DEFAULT_TEXT_SIMILARITY, guard=False),
        "sweep": [figures(rows, t / 100, guard=True) for t in range(30, 80, 5)],
        "latency": scan_latency(args.entries),
    }
    for name in ("server_rule", "cosine_alone_same_threshold"):
        f = results[name]
        print(
            f"{name:30} t={f['threshold']:.2f} paraphrase hits {f['paraphrase_hit_rate']:.0%}  "
            f"near-miss hits {f['near_miss_false_hit_rate']:.0%}  unrelated hits {f['unrelated_false_hit_rate']:.1%}"
        )
    for f in results["sweep"]:
        print(
            f"  guard, t={f['threshold']:.2f}: paraphrase {f['paraphrase_hit_rate']:.0%}  "
            f"near-miss {f['near_miss_false_hit_rate']:.0%}  unrelated {f['unrelated_false_hit_rate']:.1%}"
        )
    lat = results["latency"]
    print(f"scan of {lat['entries']} entries: {lat['scan_ms']:.1f} ms (pure Python, no index)")
    out = ROOT / "bench" / "results" / "cache_quality.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
