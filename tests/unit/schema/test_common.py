"""The nesting limit of free JSON: where it starts, and cutting a value there without recursing past it."""

from __future__ import annotations

from promptwatch.schema.common import MAX_JSON_DEPTH, TOO_DEEP, cap_json_depth, nests_deeper


def nested(levels: int, leaf="leaf"):
    """`levels` of arrays and objects, alternately."""
    value = leaf
    for level in range(levels):
        value = {"k": value} if level % 2 else [value]
    return value


def test_the_limit_counts_objects_and_arrays_from_the_value_itself():
    assert not nests_deeper(nested(MAX_JSON_DEPTH)) and not nests_deeper("text") and not nests_deeper({})
    assert nests_deeper(nested(MAX_JSON_DEPTH + 1))


def test_a_value_within_the_limit_is_kept_as_is():
    value = {"a": nested(MAX_JSON_DEPTH - 1), "b": [1, "two", None]}
    assert cap_json_depth(value) is value


def test_a_value_far_past_the_limit_is_cut_at_it_without_recursing_through_it():
    value = cap_json_depth(nested(100_000))
    levels = 0
    while isinstance(value, list | dict):
        levels, value = levels + 1, value[0] if isinstance(value, list) else value["k"]
    assert levels == MAX_JSON_DEPTH and value == TOO_DEEP
