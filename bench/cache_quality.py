"""Semantic-cache quality on pairs of prompts: how often the server's matching rule serves a cached answer
for a paraphrase (should) and for a near-miss (must never, reported per kind), plus unrelated pairs (every
`a` against every other group's `b`) at the same gate; the same for cosine alone, to show what the guards
add; and a sweep of the gate on the first data set.

The data sets: shared/data/cache_pairs_dev.jsonl (rewordings) and bench/data/cache_pairs_wording.jsonl (the
same prompt with English contractions, "What's" / "What is", "can't" / "cannot", beside the near-misses that
must still miss: another name, a negation dropped). Each is reported on its own. The pairs come in groups
that share their `a` (paraphrases and near-misses). To show the figures are not fitted to the set, they are
reported on the even groups (where the gate was chosen), the odd groups (held out) and all of them.

    python bench/cache_quality.py [--data PATH ...] [--embedder static|hashed]

Writes bench/results/cache_quality.json.
"""

from __future__ import annotations

import argparse
import json
from functools import cache
from pathlib import Path

from promptwatch.server.services import cache_matching as m
from promptwatch.server.services.text_embedders import HashedNgramEmbedder, StaticModelEmbedder, TextEmbedder

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = [
    ROOT.parent / "shared" / "data" / "cache_pairs_dev.jsonl",
    ROOT / "bench" / "data" / "cache_pairs_wording.jsonl",
]
EMBEDDERS = {"static": StaticModelEmbedder, "hashed": HashedNgramEmbedder}


class Judge:
    def __init__(self, embedder: TextEmbedder) -> None:
        self.embedder = embedder
        self.vector = cache(embedder.embed)

    def decide(self, a: str, b: str, threshold: float, guard: bool) -> bool:
        if m.dot(self.vector(a), self.vector(b)) < threshold:
            return False
        return not (guard and a != b and m.differing_tokens_guard(a, b))

    def figures(self, rows: list[dict], threshold: float, guard: bool) -> dict:
        para = [r for r in rows if r["same_answer"]]
        near = [r for r in rows if not r["same_answer"]]
        unrelated = [(x["a"], y["b"]) for x in rows for y in rows if x["a"] != y["a"]]
        by_kind = {}
        for kind in sorted({r["kind"] for r in near}):
            of_kind = [r for r in near if r["kind"] == kind]
            by_kind[kind] = sum(self.decide(r["a"], r["b"], threshold, guard) for r in of_kind) / len(of_kind)
        return {
            "threshold": threshold,
            "guard": guard,
            "pairs": len(rows),
            "paraphrase_hit_rate": sum(self.decide(r["a"], r["b"], threshold, guard) for r in para) / len(para),
            "near_miss_false_hit_rate": sum(self.decide(r["a"], r["b"], threshold, guard) for r in near) / len(near),
            "near_miss_false_hit_rate_by_kind": by_kind,
            "unrelated_false_hit_rate": sum(self.decide(a, b, threshold, guard) for a, b in unrelated) / len(unrelated),
            "near_misses_served": [r["b"] for r in near if self.decide(r["a"], r["b"], threshold, guard)],
            "paraphrases_missed": [r["b"] for r in para if not self.decide(r["a"], r["b"], threshold, guard)],
        }


def read_pairs(path: Path) -> list[dict]:
    return [json.loads(text) for text in path.read_text().splitlines() if text.strip()]


def splits(rows: list[dict]) -> dict[str, list[dict]]:
    groups = list(dict.fromkeys(r["a"] for r in rows))
    parity = {a: i % 2 for i, a in enumerate(groups)}
    return {
        "even groups (tuned)": [r for r in rows if parity[r["a"]] == 0],
        "odd groups (held out)": [r for r in rows if parity[r["a"]] == 1],
        "all": rows,
    }


def line(name: str, f: dict) -> str:
    kinds = " ".join(f"{k} {v:.0%}" for k, v in f["near_miss_false_hit_rate_by_kind"].items())
    return (
        f"{name:24} n={f['pairs']:2} t={f['threshold']:.2f} paraphrase hits {f['paraphrase_hit_rate']:4.0%}  "
        f"near-miss hits {f['near_miss_false_hit_rate']:4.0%} ({kinds})  unrelated {f['unrelated_false_hit_rate']:.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, nargs="+", default=DEFAULT_DATA)
    parser.add_argument("--embedder", choices=sorted(EMBEDDERS), default="static")
    args = parser.parse_args()
    judge = Judge(EMBEDDERS[args.embedder]())
    gate = judge.embedder.default_similarity
    results = {"embedder": judge.embedder.name, "gate": gate, "data": {}}
    print(f"embedder {judge.embedder.name}, default gate {gate}")
    for path in args.data:
        rows = read_pairs(path)
        results["data"][path.name] = figures = {"server_rule": {}, "cosine_alone": {}}
        print(path.name)
        for name, part in splits(rows).items():
            figures["server_rule"][name] = judge.figures(part, gate, guard=True)
            figures["cosine_alone"][name] = judge.figures(part, gate, guard=False)
            print(line(name, figures["server_rule"][name]))
            print(line("  cosine alone", figures["cosine_alone"][name]))
        print(f"paraphrases missed: {figures['server_rule']['all']['paraphrases_missed']}")
        print(f"near-misses served: {figures['server_rule']['all']['near_misses_served']}")
    tuned = splits(read_pairs(args.data[0]))["even groups (tuned)"]
    results["sweep_on_tuned_groups"] = [judge.figures(tuned, t / 100, guard=True) for t in range(40, 90, 4)]
    for f in results["sweep_on_tuned_groups"]:
        print(line(f"  sweep, {args.data[0].stem}", f))
    out = ROOT / "bench" / "results" / "cache_quality.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
