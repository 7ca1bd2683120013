"""`pw-hash-ngram-512-v1`: PromptWatch's in-house text embedding (pure, no I/O, no dependency, no model).

Word unigrams (weight 1) and the character 3-5-grams of each word (weight 0.25), after lower-casing,
number words read as digits, a light stemming and the removal of words that carry no slot of meaning,
hashed (BLAKE2b) into 512 signed dimensions and normalised to unit length. It finds rewordings that share
content words; it knows no synonyms.

The SDK uses it offline (the unit tests' default `CosineScoreEvaluationStrategy`). The server's semantic
cache uses it when its static model is not installed (`server/services/text_embedders.py`); the guards of
`server/services/cache_matching.py` share its word reading (`words`, `content_tokens`, `NEGATIONS`).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence

EMBEDDER_NAME = "pw-hash-ngram-512-v1"
DIMS = 512

_WORD = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
_SMALL_NUMBERS = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
]
NUMBER_WORDS: dict[str, str] = {word: str(value) for value, word in enumerate(_SMALL_NUMBERS)} | {
    "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80",
    "ninety": "90", "hundred": "100", "thousand": "1000", "million": "1000000", "%": "percent",
}
NEGATIONS = frozenset(
    {
        "not", "no", "never", "none", "nothing", "without", "cannot", "can't", "don't", "doesn't", "isn't",
        "aren't", "won't",
    }
)
# words that carry no slot of meaning; direction words (over, under, to, from, before, after ...) are kept
STOPWORDS = frozenset(
    {
        "a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "i", "me", "my",
        "you", "your", "we", "our", "it", "its", "this", "that", "these", "those", "what", "which", "who", "whom",
        "how", "please", "can", "could", "would", "should", "will", "shall", "may", "might", "of", "for", "on",
        "at", "by", "with", "and", "or", "as", "give", "tell", "show", "let", "us", "there", "here", "some",
        "any", "about",
    }
)


def words(text: str) -> list[str]:
    """Lower-cased word and number tokens; number words become digits, "n't" becomes "not"."""
    tokens = []
    for raw in _WORD.findall(text.lower().replace("%", " percent ")):
        token = NUMBER_WORDS.get(raw, raw)
        if token.endswith("n't"):
            tokens.append(token[:-3])
            token = "not"
        tokens.append(token)
    return tokens


def stem(token: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(token) > len(suffix) + 3 and token.endswith(suffix):
            return token[: -len(suffix)]
    return token


def content_tokens(text: str) -> list[str]:
    """The stemmed words of `text` that carry meaning (stopwords removed)."""
    return [stem(token) for token in words(text) if token not in STOPWORDS]


def _bucket(feature: str) -> tuple[int, float]:
    value = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return value % DIMS, (1.0 if (value >> 63) & 1 else -1.0)


def embed_text(text: str) -> list[float]:
    """The unit-length 512-dimension vector of `text` (all zeros when it has no content word)."""
    vector = [0.0] * DIMS
    for token in content_tokens(text):
        index, sign = _bucket("w:" + token)
        vector[index] += sign
        padded = f"<{token}>"
        for n in (3, 4, 5):
            for i in range(len(padded) - n + 1):
                index, sign = _bucket("c:" + padded[i : i + n])
                vector[index] += 0.25 * sign
    return normalized(vector)


def normalized(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return [x / norm for x in vector] if norm > 0 else list(vector)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors of any length (0.0 when either is all zeros)."""
    dot = math.fsum(x * y for x, y in zip(a, b))
    norm = math.sqrt(math.fsum(x * x for x in a)) * math.sqrt(math.fsum(y * y for y in b))
    return dot / norm if norm > 0 else 0.0
