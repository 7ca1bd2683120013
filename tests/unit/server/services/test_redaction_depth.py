"""Masking walks at most as deep as the API lets free JSON nest: a deeper part is replaced, not walked."""

from __future__ import annotations

from collections import Counter

from promptwatch.schema.common import MAX_JSON_DEPTH, TOO_DEEP
from promptwatch.server.services.redaction import _Plan


def test_p1_a_value_nested_past_the_limit_is_replaced_and_the_rest_masked():
    deep: object = "mail me at a@example.com"
    for _ in range(5_000):
        deep = [deep]
    counts: Counter = Counter()
    masked = _Plan({"email": True}).value({"deep": deep, "flat": "a@example.com"}, counts)
    assert "a@example.com" not in masked["flat"] and counts["email"] == 1
    levels, value = 1, masked["deep"]  # the object holding it is the first level
    while isinstance(value, list):
        levels, value = levels + 1, value[0]
    assert levels == MAX_JSON_DEPTH and value == TOO_DEEP
