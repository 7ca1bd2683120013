"""Detectors of the redaction stage: compiled patterns, with checksum checks where a format has one
(Luhn for card numbers, ISO 13616 mod-97 for IBANs, the address parser for IPs). Pure functions, no I/O.

`Masker(kinds, custom).mask(text)` returns the masked text and counts per kind. Replacements are
`[EMAIL]`, `[PHONE]`, `[CARD]`, `[IBAN]`, `[IP]`, `[SECRET]` and `[<NAME>]` for a custom pattern.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable

import ahocorasick_rs
import orjson
import regex  # custom patterns run with a timeout: a customer's pattern must not stall ingestion

KINDS = ("secrets", "email", "phone", "card", "iban", "ip")
CUSTOM_TIMEOUT_SECONDS = 0.05

_SECRET_SHAPES = [
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    r"\bsk-(?:proj-|ant-|live-)?[A-Za-z0-9_-]{20,}",  # OpenAI, Anthropic
    r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}",  # Stripe
    r"\bAKIA[0-9A-Z]{16}\b",  # AWS access key id
    r"\bgh[pousr]_[A-Za-z0-9]{30,}",  # GitHub
    r"\bgithub_pat_[A-Za-z0-9_]{22,}",
    r"\bglpat-[A-Za-z0-9_-]{20,}",  # GitLab
    r"\bxox[abprs]-[A-Za-z0-9-]{10,}",  # Slack
    r"\bAIza[0-9A-Za-z_-]{35}",  # Google
    r"\bhf_[A-Za-z0-9]{30,}",  # Hugging Face
    r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # JWT
    r"\b(?:pwt|pws|pwi)_[A-Za-z0-9_-]{20,}",  # PromptWatch log-in, share and invitation tokens
    r"\b(?:cGtf|dGVtcF8)[A-Za-z0-9+/]{20,}={0,2}",  # PromptWatch API keys: base64 of "pk_..." / "temp_..."
    r"\b[Bb](?i:earer)\s+[A-Za-z0-9._~+/=-]{16,}",
]
_SECRET = re.compile("|".join(f"(?:{p})" for p in _SECRET_SHAPES))
# key = value forms: the name is kept, the value masked
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)\b((?:password|passwd|pwd|secret|client[_-]?secret|api[_-]?key|access[_-]?token|auth[_-]?token|"
    r"refresh[_-]?token|private[_-]?key)\b[\"']?\s*[:=]\s*[\"']?)([^\s\"',;}{]{4,})"
)
# Every secret shape contains one of these, every assignment one of those (case-folded): a text with none of
# them is skipped without running the patterns, which try each alternative at every position and cost far more.
SHAPE_HINTS = (
    "-----begin", "sk-", "sk_", "rk_", "akia", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-",
    "xox", "aiza", "hf_", "eyj", "pwt_", "pws_", "pwi_", "cgtf", "dgvtcf8", "bearer",
)  # fmt: skip
ASSIGNMENT_HINTS = (
    "password", "passwd", "pwd", "secret", "api_key", "api-key", "apikey", "private", "access_token",
    "access-token", "accesstoken", "auth_token", "auth-token", "authtoken", "refresh_token", "refresh-token",
    "refreshtoken",
)  # fmt: skip
KEY_HINTS = ("authorization", '"token"')  # with ASSIGNMENT_HINTS: every key SECRET_KEY_NAME matches, in JSON


class _AnyOf:
    """Finds whether a text holds any of some strings, in one pass (Aho-Corasick as a DFA, with a SIMD
    prefilter: a regex alternation of the same strings, or one `in` per string, costs several times more).
    Only whether there is a match counts, which any match kind answers alike; leftmost-first took half the
    time of the standard kind on a 1.7 KB activity body (1.9 against 3.7 µs)."""

    def __init__(self, hints) -> None:
        self._automaton = ahocorasick_rs.AhoCorasick(
            hints,
            matchkind=ahocorasick_rs.MatchKind.LeftmostFirst,
            implementation=ahocorasick_rs.Implementation.DFA,
        )

    def found_in(self, text: str) -> bool:
        return bool(self._automaton.find_matches_as_indexes(text))


_SHAPE_HINT, _ASSIGNMENT_HINT = _AnyOf(SHAPE_HINTS), _AnyOf(ASSIGNMENT_HINTS)
_JSON_HINT = _AnyOf((*SHAPE_HINTS, *ASSIGNMENT_HINTS, *KEY_HINTS))
SECRET_KEY_NAME = re.compile(
    r"(?i)^(?:password|passwd|pwd|secret|client[_-]?secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|"
    r"refresh[_-]?token|private[_-]?key|authorization|x-api-key|token)$"
)

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")
_IPV4 = re.compile(
    r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d.])"
)
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_PHONE = re.compile(
    r"(?<![\w+])\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){2,4}(?!\w)"  # international
    r"|(?<![\w(])\(?\b\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"  # (415) 555-0132, 415-555-0132
)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def iban_ok(compact: str) -> bool:
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    try:
        return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1
    except ValueError:
        return False


def may_hold_secret(value) -> bool:
    """False only when no string or key of `value` (JSON-like) can hold a secret, checked in one pass over
    its JSON text, so that secrets-only masking skips the walk through most bodies."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # a value JSON cannot hold as is: walk it
        return True
    return _JSON_HINT.found_in(text.casefold())


class Masker:
    """Masks the chosen kinds of data in strings; `custom` is [(name, pattern)]."""

    def __init__(self, kinds: tuple[str, ...], custom: tuple[tuple[str, str], ...] = ()) -> None:
        self.kinds = frozenset(kinds)
        self.custom = [(name, regex.compile(pattern)) for name, pattern in custom]
        self._steps: list[tuple[str, Callable[[str, Counter], str]]] = []
        for kind, step in (
            ("secrets", self._secrets),
            ("email", self._email),
            ("card", self._card),
            ("iban", self._iban),
            ("ip", self._ip),
            ("phone", self._phone),
        ):
            if kind in self.kinds:
                self._steps.append((kind, step))

    def __bool__(self) -> bool:
        return bool(self._steps or self.custom)

    def mask(self, text: str, counts: Counter) -> str:
        for _, step in self._steps:
            text = step(text, counts)
        for name, pattern in self.custom:
            text = self._custom(name, pattern, text, counts)
        return text

    @staticmethod
    def _secrets(text: str, counts: Counter) -> str:
        def assignment(m: re.Match) -> str:
            counts["secret"] += 1
            return m.group(1) + "[SECRET]"

        def shape(_m: re.Match) -> str:
            counts["secret"] += 1
            return "[SECRET]"

        folded = text.casefold()
        if _SHAPE_HINT.found_in(folded):
            text = _SECRET.sub(shape, text)
        if ("=" in text or ":" in text) and _ASSIGNMENT_HINT.found_in(folded):
            text = _SECRET_ASSIGNMENT.sub(assignment, text)
        return text

    @staticmethod
    def _email(text: str, counts: Counter) -> str:
        if "@" not in text:
            return text

        def repl(_m: re.Match) -> str:
            counts["email"] += 1
            return "[EMAIL]"

        return _EMAIL.sub(repl, text)

    @staticmethod
    def _card(text: str, counts: Counter) -> str:
        def repl(m: re.Match) -> str:
            digits = re.sub(r"\D", "", m.group(0))
            if 13 <= len(digits) <= 19 and luhn_ok(digits):
                counts["card"] += 1
                return "[CARD]"
            return m.group(0)

        return _CARD.sub(repl, text) if any(c.isdigit() for c in text) else text

    @staticmethod
    def _iban(text: str, counts: Counter) -> str:
        def repl(m: re.Match) -> str:
            found = m.group(0)
            compact = found.replace(" ", "")
            # the match may run into a following upper-case word: try the longest valid prefix
            for length in range(len(compact), 14, -1):
                if iban_ok(compact[:length]):
                    counts["iban"] += 1
                    return "[IBAN]" + _rest_after(found, length)
            return found

        return _IBAN.sub(repl, text) if any(c.isdigit() for c in text) else text

    @staticmethod
    def _ip(text: str, counts: Counter) -> str:
        def repl(m: re.Match) -> str:
            try:
                ipaddress.ip_address(m.group(0))
            except ValueError:
                return m.group(0)
            counts["ip"] += 1
            return "[IP]"

        if "." in text:
            text = _IPV4.sub(repl, text)
        return _IPV6.sub(repl, text) if "::" in text or text.count(":") >= 2 else text

    @staticmethod
    def _phone(text: str, counts: Counter) -> str:
        def repl(m: re.Match) -> str:
            digits = sum(c.isdigit() for c in m.group(0))
            if 8 <= digits <= 15:
                counts["phone"] += 1
                return "[PHONE]"
            return m.group(0)

        return _PHONE.sub(repl, text) if any(c.isdigit() for c in text) else text

    @staticmethod
    def _custom(name: str, pattern, text: str, counts: Counter) -> str:
        label = f"[{name.upper()}]"
        try:
            text, n = pattern.subn(label, text, timeout=CUSTOM_TIMEOUT_SECONDS)
        except TimeoutError:  # fail closed: a pattern too slow to finish masks the whole string
            counts[name] += 1
            return label
        if n:
            counts[name] += n
        return text


def _rest_after(found: str, compact_length: int) -> str:
    """What follows the first `compact_length` non-space characters of `found`."""
    seen = 0
    for index, char in enumerate(found):
        if char != " ":
            seen += 1
            if seen == compact_length:
                return found[index + 1 :]
    return ""


def check_custom_pattern(pattern: str) -> str | None:
    """None when the pattern compiles and does not match the empty string, else the problem."""
    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        return f"not a regular expression: {exc}"
    if compiled.fullmatch("", timeout=CUSTOM_TIMEOUT_SECONDS):
        return "the pattern matches the empty string"
    return None
