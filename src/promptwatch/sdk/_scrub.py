"""Bounded, scrubbed copies of user values, taken before an event is queued.

`Scrubber.copy(value)` turns anything (arguments, return values, LangChain inputs) into plain JSON-ready
data: strings are cut at `max_string_length`, lists and dicts at `max_items`, nesting at `max_depth`, and
the whole copy at a node budget, so a huge object never costs the host its memory and nothing of it is
kept by reference. Values under a secret-looking key (api_key, password, authorization, ...) are replaced
by "[redacted]". Objects are copied through their fields (pydantic models, dataclasses, plain objects)
or, failing that, through a shortened `repr`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..schema.common import MAX_JSON_DEPTH

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"(^|[_\-.])(api[_\-]?key|apikey|password|passwd|secret|token|access[_\-]?key|authorization|cookie|"
    r"credentials?|private[_\-]?key)$",
    re.IGNORECASE,
)
_SCALARS = (bool, int, type(None))
# the deepest copy: the server refuses free JSON nested deeper than MAX_JSON_DEPTH, and a copy lands a few
# levels down in an activity (inputs, a message, a document's metadata)
DEEPEST = MAX_JSON_DEPTH - 8


def is_secret_key(key: str) -> bool:
    return _SECRET_KEY.search(key) is not None


class Scrubber:
    """Copies values within fixed bounds; one per pipeline, shared by threads (it holds no state)."""

    __slots__ = ("max_string_length", "max_items", "max_depth", "max_nodes")

    def __init__(self, max_string_length: int = 100_000, max_items: int = 200, max_depth: int = 12):
        self.max_string_length = max_string_length
        self.max_items = max_items
        self.max_depth = min(max_depth, DEEPEST)
        self.max_nodes = max(max_items * 25, 1000)

    def copy(self, value: Any) -> Any:
        """A bounded JSON-ready copy of `value`."""
        kind = type(value)
        if kind is str:
            return value if len(value) <= self.max_string_length else self.cut(value)
        if kind in _SCALARS:
            return value
        return self._copy(value, 0, [self.max_nodes])

    def cut(self, text: str) -> str:
        if len(text) <= self.max_string_length:
            return text
        return f"{text[: self.max_string_length]}…[{len(text) - self.max_string_length} more chars]"

    def _copy(self, value: Any, depth: int, budget: list[int]) -> Any:
        kind = type(value)
        if kind is str:
            return self.cut(value)
        if kind in _SCALARS:
            return value
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else str(value)
        if isinstance(value, int):  # IntEnum, numpy-free int subclasses
            return int(value)
        budget[0] -= 1
        if depth >= self.max_depth or budget[0] <= 0:
            return f"<{kind.__name__}: too deep or too large>"
        if isinstance(value, str):
            return self.cut(str(value))
        if isinstance(value, (bytes, bytearray, memoryview)):
            return f"<{kind.__name__} of {len(value)} bytes>"
        if isinstance(value, dict):
            return self._copy_mapping(value, depth, budget)
        if isinstance(value, (list, tuple, set, frozenset)):
            return self._copy_sequence(value, depth, budget)
        fields = _fields_of(value)
        if fields is not None:
            copied = self._copy_mapping(fields, depth, budget)
            return {"__type__": kind.__name__, **copied}
        return self._repr(value)

    def _copy_mapping(self, value: Any, depth: int, budget: list[int]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if index >= self.max_items:
                out["…"] = f"{len(value) - index} more items"
                break
            name = key if type(key) is str else str(key)
            out[name] = REDACTED if is_secret_key(name) else self._copy(item, depth + 1, budget)
        return out

    def _copy_sequence(self, value: Any, depth: int, budget: list[int]) -> list[Any]:
        out = []
        for index, item in enumerate(value):
            if index >= self.max_items:
                out.append(f"…{len(value) - index} more items")
                break
            out.append(self._copy(item, depth + 1, budget))
        return out

    def _repr(self, value: Any) -> str:
        try:
            text = repr(value)
        except Exception:
            return f"<{type(value).__name__}: unrepresentable>"
        return self.cut(text if len(text) <= 1000 else text[:1000] + "…")


def _fields_of(value: Any) -> dict[str, Any] | None:
    """The public fields of a model-like object, without calling any of its methods."""
    if isinstance(value, type):
        return None
    fields = getattr(value, "__dict__", None)
    if not isinstance(fields, dict):
        return None
    return {key: item for key, item in fields.items() if not key.startswith("_") and not callable(item)}
