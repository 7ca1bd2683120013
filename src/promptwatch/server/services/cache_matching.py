"""How the semantic cache decides that a stored answer may be served: vectors, similarity and guards.

Cosine similarity is only the first gate. Two prompts that differ by one slot ("... Earth to the Sun" /
"... to the Moon", "15 %" / "25 %", "happy" / "not happy", "10 miles to km" / "10 km to miles") are close
in any embedding space but need different answers, so a text pair must also pass `differing_tokens_guard`,
general rules about what differs between the two prompts:

- a number on one side that is not on the other (number words are read as digits) refuses;
- a negation on one side only refuses;
- both sides name units or currencies, not the same ones ("km" / "miles", "EUR" / "USD"; spellings of
  one unit are the same unit): refuses;
- a proper noun (a capitalised word inside a sentence, an acronym) missing from the other side refuses;
- another kind of answer asked for ("who ..." / "in what year ...") refuses;
- the same words with two neighbours swapped (a direction) refuses;
- a slot substitution refuses: the same words in the same order except one or two replaced in place
  ("reset my password" / "reset my username"); a paraphrase rewords and reorders, a near-miss swaps a slot;
- a qualifier of one or two words added to (or removed from) an otherwise identical prompt refuses.

Words that only frame the request ("calculate", "explain", "please") are ignored by the last two rules.
Both prompts are read with their English contractions written out (`expand_contractions`: "what's" is "what
is", "can't" and "can not" are "cannot", "don't" is "do not"), as they are before they are embedded, so a
contraction never reads as a changed word and a negation is read as the same word on both sides.
bench/cache_quality.py measures the rules on shared/data/cache_pairs_dev.jsonl and
bench/data/cache_pairs_wording.jsonl.
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from array import array
from collections.abc import Sequence

from promptwatch.schema.text_embedding import NEGATIONS, STOPWORDS, content_tokens, normalized, stem, words

CLIENT_EMBEDDER = "client"
MAX_SLOT_WORDS = 2  # a substitution or qualifier of up to this many words is a changed slot

# words that frame a request without changing what is asked
FRAMING_WORDS = frozenset(
    {"calculate", "compute", "determine", "explain", "describe", "list", "find", "provide", "want", "need", "know"}
)
_UNITS = {
    "km": ("km", "kms", "kilometre", "kilometres", "kilometer", "kilometers"),
    "m": ("metre", "metres", "meter", "meters"),
    "cm": ("cm", "centimetre", "centimetres", "centimeter", "centimeters"),
    "mile": ("mi", "mile", "miles"),
    "ft": ("ft", "foot", "feet"),
    "inch": ("inch", "inches"),
    "kg": ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms"),
    "g": ("gram", "grams"),
    "lb": ("lb", "lbs"),
    "l": ("litre", "litres", "liter", "liters"),
    "gallon": ("gallon", "gallons"),
    "celsius": ("celsius", "°c"),
    "fahrenheit": ("fahrenheit", "°f"),
    "eur": ("eur", "euro", "euros", "€"),
    "usd": ("usd", "dollar", "dollars", "$"),
    "gbp": ("gbp", "£", "sterling"),
    "percent": ("percent", "per cent", "percentage"),
    "second": ("seconds", "sec", "secs"),  # not "second": an ordinal too
    "minute": ("minute", "minutes", "min", "mins"),
    "hour": ("hour", "hours", "hr", "hrs"),
    "day": ("day", "days"),
    "week": ("week", "weeks"),
    "month": ("month", "months"),
    "year": ("year", "years"),
}
UNITS = {spelling: unit for unit, spellings in _UNITS.items() for spelling in spellings}
_SYMBOLS = re.compile(r"[€$£]|°[cf]\b", re.IGNORECASE)
# the kind of answer a question asks for, read from its question word at the start of a clause
_ANSWER_KINDS = (
    ("person", r"who|whom|whose|(?:which|what) (?:author|person|people|writer|company)"),
    ("time", r"when|(?:which|what) (?:year|date|time|day|month|century)|how long ago"),
    ("place", r"where|(?:which|what) (?:city|country|place|town|region)"),
    ("quantity", r"how (?:many|much)"),
    ("reason", r"why"),
    ("duration", r"how long(?! ago)"),
    ("distance", r"how far"),
)
_CLAUSE_START = r"(?:^|[.!?:;]\s*|\b(?:in|on|at|from|to|by|for|and)\s+)"
_ANSWER_PATTERNS = [(kind, re.compile(rf"{_CLAUSE_START}(?:{pattern})\b")) for kind, pattern in _ANSWER_KINDS]
_CAPITALISED = re.compile(r"(?<![\w'])([A-Z][\w'-]*)")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n])[\s\"'“‘(]*$")

# contractions written out: whole words, then endings. "'s" is "is" only after the words below (elsewhere a
# possessive); "'d" only where the next word tells "would" from "had"
_WHOLE_CONTRACTIONS = {
    "can't": "cannot", "won't": "will not", "shan't": "shall not", "ain't": "is not", "let's": "let us", "i'm": "i am",
}  # fmt: skip
_ENDINGS = {"n't": "not", "'re": "are", "'ll": "will", "'ve": "have"}
_IS_BEFORE_S = frozenset({"what", "that", "it", "who", "where", "when", "why", "how", "there", "here", "he", "she"})
_HAS_BEFORE = frozenset({"been", "got", "gotten"})  # "it's been" is "it has been"
_WOULD_BEFORE = frozenset({"like", "love", "prefer", "rather"})  # "I'd like" is "I would like"
_HAD_BEFORE = frozenset({"been", "better"})  # "you'd better" is "you had better"
_CONTRACTION = re.compile(r"\b([^\W\d_]+'[^\W\d_]+)\b(?=(?:\s+([^\W\d_]+))?)")
_CAN_NOT = re.compile(r"\b(can)\s+(not)\b(?!\s+only\b)", re.IGNORECASE)  # "can not only ... but" stays
_CURLY_APOSTROPHE = re.compile(r"(?<=[^\W\d_])[’ʼ](?=[^\W\d_])")


def expand_contractions(text: str) -> str:
    """`text` with its English contractions written out, in the case they were written in: "What's" becomes
    "What is", "can't" and "can not" "cannot", "n't" " not", "'re" " are", "'ll" " will", "'ve" " have", "I'm"
    "I am"; curly apostrophes inside words count as straight ones. A possessive "'s" stays."""
    text = _CURLY_APOSTROPHE.sub("'", text)
    text = _CAN_NOT.sub(lambda m: m.group(1) + m.group(2), text)
    return _CONTRACTION.sub(_written_out, text)


def _written_out(match: re.Match) -> str:
    word, following = match.group(1), (match.group(2) or "").lower()
    lowered = word.lower()
    if lowered in _WHOLE_CONTRACTIONS:
        expanded = _WHOLE_CONTRACTIONS[lowered]
        if _shouted(word):
            return expanded.upper()
        return expanded[0].upper() + expanded[1:] if word[0].isupper() else expanded
    cut = len(word) - 3 if lowered.endswith("n't") else lowered.rindex("'")
    written = _written_word(lowered[:cut], lowered[cut:], following)
    if written is None:
        return word
    return f"{word[:cut]} {written.upper() if _shouted(word) else written}"


def _written_word(stem: str, ending: str, following: str) -> str | None:
    """The word that `ending` stands for after `stem`, before the word `following`; None when unsure."""
    if ending in _ENDINGS:
        return _ENDINGS[ending]
    if ending == "'s" and stem in _IS_BEFORE_S:
        return "has" if following in _HAS_BEFORE else "is"
    if ending == "'d" and following in _WOULD_BEFORE | _HAD_BEFORE:
        return "would" if following in _WOULD_BEFORE else "had"
    return None


def _shouted(word: str) -> bool:
    return len(word) > 2 and word.replace("'", "").isupper()


def differing_tokens_guard(a: str, b: str) -> str | None:
    """None when nothing in the difference between `a` and `b` forbids serving a's answer for b, else why.
    Both are read with their contractions written out."""
    a, b = expand_contractions(a), expand_contractions(b)
    ta, tb = _guard_tokens(a), _guard_tokens(b)
    sa, sb = set(ta), set(tb)
    if {t for t in sa if t[0].isdigit()} != {t for t in sb if t[0].isdigit()}:
        return "a number differs"
    if (sa & NEGATIONS) != (sb & NEGATIONS):
        return "a negation differs"
    units_a, units_b = units(a), units(b)
    if units_a and units_b and units_a != units_b:
        return f"a unit differs: {sorted(units_a ^ units_b)}"
    missing = (proper_nouns(a) - _plain_words(b)) | (proper_nouns(b) - _plain_words(a))
    if missing:
        return f"a name differs: {sorted(missing)}"
    kinds_a, kinds_b = answer_kinds(a), answer_kinds(b)
    if kinds_a and kinds_b and not kinds_a & kinds_b:
        return f"another kind of answer: {sorted(kinds_a)} -> {sorted(kinds_b)}"
    if sa == sb and ta != tb and _swapped_neighbours(ta, tb):
        return "the same words in another direction"
    return _changed_slot([t for t in ta if t not in FRAMING_WORDS], [t for t in tb if t not in FRAMING_WORDS])


def _guard_tokens(text: str) -> list[str]:
    """The words that carry meaning, stemmed, each unit under one spelling."""
    return [UNITS.get(w) or stem(w) for w in words(text) if w not in STOPWORDS]


def _plain_words(text: str) -> set[str]:
    return {w.removesuffix("'s") for w in words(text)}


def units(text: str) -> set[str]:
    """The units and currencies named in `text`, each under one spelling."""
    lowered = _SYMBOLS.sub(lambda m: f" {UNITS.get(m.group().lower(), '')} ", text.lower())
    found = {UNITS[w] for w in words(lowered) if w in UNITS}
    return found | {unit for spelling, unit in UNITS.items() if " " in spelling and spelling in lowered}


def proper_nouns(text: str) -> set[str]:
    """Capitalised words that do not start a sentence, and acronyms, lower-cased (units excepted)."""
    found = set()
    for match in _CAPITALISED.finditer(text):
        word = match.group(1)
        starts_sentence = _SENTENCE_START.search(text, 0, match.start()) is not None
        if word == "I" or (starts_sentence and not (len(word) > 1 and word.isupper())):
            continue
        if word.lower() not in UNITS:
            found.add(word.lower().removesuffix("'s"))
    return found


def answer_kinds(text: str) -> set[str]:
    """What kinds of answer the questions in `text` ask for (person, time, place, quantity ...)."""
    lowered = text.lower()
    return {kind for kind, pattern in _ANSWER_PATTERNS if pattern.search(lowered)}


def _changed_slot(ta: list[str], tb: list[str]) -> str | None:
    """A few words replaced in place, or added to one side, in an otherwise identical prompt."""
    if not ta or not tb or ta == tb:
        return None
    ops = difflib.SequenceMatcher(a=ta, b=tb, autojunk=False).get_opcodes()
    changed = [(tag, ta[i1:i2], tb[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]
    shared = sum(i2 - i1 for tag, i1, i2, _, _ in ops if tag == "equal")
    if shared * 2 < max(len(ta), len(tb)) or len(changed) > MAX_SLOT_WORDS:
        return None
    if all(tag == "replace" and len(x) <= MAX_SLOT_WORDS and len(y) <= MAX_SLOT_WORDS for tag, x, y in changed):
        return f"a substitution: {[' '.join(x) for _, x, _ in changed]} -> {[' '.join(y) for _, _, y in changed]}"
    if all(tag == "insert" for tag, _, _ in changed) or all(tag == "delete" for tag, _, _ in changed):
        extra = [w for _, x, y in changed for w in x + y]
        if len(extra) <= MAX_SLOT_WORDS and not set(extra) & (set(ta) & set(tb)):
            return f"a qualifier added or removed: {extra}"
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
        a, b = expand_contractions(_value_text(stored[key])), expand_contractions(_value_text(query[key]))
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
