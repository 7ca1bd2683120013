"""How the semantic cache decides that a stored answer may be served: vectors, similarity and a guard.

Cosine similarity is only the first gate. Two prompts that differ by one slot ("... Earth to the Sun" /
"... to the Moon", "15 %" / "25 %", "happy" / "not happy", "10 miles to km" / "10 km to miles") are close
in any embedding space but need different answers, so a text pair must also pass `differing_tokens_guard`,
which looks only at the tokens that differ:

- a number on one side that is not on the other (number words are read as digits) refuses;
- a negation on one side only refuses;
- the same words with two neighbours swapped (a direction) refuses;
- a small substitution inside an otherwise shared prompt (one or two words replaced, most words shared)
  refuses: a paraphrase rewords the prompt, a near-miss swaps the slot that carries the meaning.

The server's own embedding (`HashedNgramEmbedder`, no dependency, no model download) hashes word unigrams
and character 3-5-grams into 512 signed dimensions. It finds rewordings that share content words; it does
not know synonyms. bench/cache_quality.py measures the rule on shared/data/cache_pairs_dev.jsonl.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Sequence

from promptwatch.schema.text_embedding import (
    NEGATIONS,
    content_tokens,
    normalized,
)

CLIENT_EMBEDDER = "client"
# the native text path's default gate for the server's embedding (the published client sends its own
# `min_similarity`, default 0.97, for its own vectors)
DEFAULT_TEXT_SIMILARITY = 0.55


def differing_tokens_guard(a: str, b: str) -> str | None:
    """None when nothing in the difference between `a` and `b` forbids serving a's answer for b, else why."""
    ta, tb = content_tokens(a), content_tokens(b)
    sa, sb = set(ta), set(tb)
    only_a, only_b = sa - sb, sb - sa
    numbers_a = {t for t in sa if t[0].isdigit()}
    numbers_b = {t for t in sb if t[0].isdigit()}
    if numbers_a != numbers_b:
        return "a number differs"
    if (sa & NEGATIONS) != (sb & NEGATIONS):
        return "a negation differs"
    if sa == sb and ta != tb and _swapped_neighbours(ta, tb):
        return "the same words in another direction"
    shared = sa & sb
    if only_a or only_b:
        small = len(only_a) <= 2 and len(only_b) <= 2
        overlap = len(shared) / len(sa | sb)
        if small and only_a and only_b and overlap >= 0.5:
            return f"a substitution: {sorted(only_a)} -> {sorted(only_b)}"
        if small and overlap >= 0.6 and not (only_a and only_b):
            return f"a qualifier added or removed: {sorted(only_a | only_b)}"
    return None


def _swapped_neighbours(ta: Sequence[str], tb: Sequence[str]) -> bool:
    where = {t: i for i, t in enumerate(tb)}
    for first, second in zip(ta, ta[1:]):
        if first in where and second in where and where[first] - where[second] == 1:
            return True
    return False


def pack(vectors: Sequence[Sequence[float]]) -> bytes:
    data = array("f", [x for v in vectors for x in normalized(v)])
    if sys.byteorder != "little":
        data.byteswap()
    return data.tobytes()


def unpack(blob: bytes, count: int, dims: int) -> list[array]:
    data = array("f")
    data.frombytes(blob)
    if sys.byteorder != "little":
        data.byteswap()
    return [data[i * dims : (i + 1) * dims] for i in range(max(count, 1))]


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b))


def similarity(query: Sequence[Sequence[float]], stored: Sequence[Sequence[float]]) -> float:
    """Cosine of unit vectors; for lists of vectors (one per template input) the weakest pair decides."""
    return min(dot(q, s) for q, s in zip(query, stored))


def parse_embedding(value) -> tuple[list[list[float]], int] | None:
    """The published client's `embedding`: a vector, or a list of vectors of one length. Returns
    (vectors, count) with count 0 for a single vector; None when the value is not one of those."""
    if not isinstance(value, list) or not value:
        return None
    if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in value):
        vectors, count = [value], 0
    elif all(isinstance(v, list) and v for v in value):
        vectors, count = value, len(value)
        if any(not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v) for v in vectors):
            return None
    else:
        return None
    if len({len(v) for v in vectors}) != 1 or any(not math.isfinite(x) for v in vectors for x in v):
        return None
    return [[float(x) for x in v] for v in vectors], count


def input_values_guard(query: dict | None, stored: dict | None) -> str | None:
    """The template path: each input value on its own. Same keys, and each changed value passes the guard."""
    if query is None or stored is None:
        return None
    if not isinstance(query, dict) or not isinstance(stored, dict) or set(query) != set(stored):
        return "other template inputs"
    for key in query:
        a, b = _value_text(stored[key]), _value_text(query[key])
        if a != b:
            if not set(content_tokens(a)) & set(content_tokens(b)):
                return f"{key}: another value"
            reason = differing_tokens_guard(a, b)
            if reason:
                return f"{key}: {reason}"
    return None


def _value_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("text", value))
    if isinstance(value, list):
        return "\n".join(_value_text(v) for v in value)
    return str(value)
