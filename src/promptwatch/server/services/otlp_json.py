"""An OTLP/JSON body checked against its protobuf message before protobuf reads it, so that a body that is not
an ExportTraceServiceRequest is refused in OTLP's terms: the field at fault by its path in the body and what it
should hold (`resourceSpans[0].scopeSpans[0].spans[0].traceId: expected a string of hex digits, got 5`), never
the decoder's own words.

The rules are protobuf's JSON mapping as `json_format.ParseDict` applies them: a field by its JSON or its proto
name (others are ignored), null as absent, integers as numbers or decimal text, bytes as base64 (trace and span
ids, which OTLP/JSON writes in hex, are made base64 before: `otlp_ingest`), an enum by name or number, one
member of a oneof. The walk keeps its own stack, so a deep body costs no recursion.
"""

from __future__ import annotations

import base64
from collections import deque
from functools import cache
from typing import Any

import orjson
from google.protobuf.descriptor import Descriptor, FieldDescriptor

MAX_MESSAGE_DEPTH = 100  # the most ParseDict reads (its default `max_recursion_depth`)
_SHOWN_CHARS = 40
_IDS = frozenset({"trace_id", "span_id", "parent_span_id"})
_INTEGERS = {
    FieldDescriptor.CPPTYPE_INT32: ("a 32-bit integer", -(2**31), 2**31 - 1),
    FieldDescriptor.CPPTYPE_INT64: ("a 64-bit integer", -(2**63), 2**63 - 1),
    FieldDescriptor.CPPTYPE_UINT32: ("an unsigned 32-bit integer", 0, 2**32 - 1),
    FieldDescriptor.CPPTYPE_UINT64: ("an unsigned 64-bit integer", 0, 2**64 - 1),
}
_FLOATS = (FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT)
_FLOAT_WORDS = frozenset({"NaN", "Infinity", "-Infinity"})


class NotOtlpJson(ValueError):
    """A field of the body does not hold what OTLP/JSON puts there; the message names it."""


def check_message(payload: Any, message: Descriptor) -> None:
    """Raises NotOtlpJson for the first field found (outer fields first) that `message` cannot take."""
    if not isinstance(payload, dict):
        raise NotOtlpJson(f"expected an object, got {_got(payload)}")
    pending = deque([(message, payload, None, 1)])
    while pending:
        descriptor, value, path, depth = pending.popleft()
        if depth > MAX_MESSAGE_DEPTH:
            raise NotOtlpJson(f"{_named(path)}: nests deeper than {MAX_MESSAGE_DEPTH} messages")
        oneofs: dict[str, str] = {}
        fields = _fields(descriptor)
        for name, item in value.items():
            field, repeated = fields.get(name, (None, False))
            if field is None or item is None:
                continue
            if field.containing_oneof is not None:
                other = oneofs.setdefault(field.containing_oneof.name, name)
                if other != name:
                    raise NotOtlpJson(f"{_named(path)}: holds both {other} and {name}; it takes one of them")
            if not repeated:
                elements = [(None, item)]
            elif isinstance(item, list):
                elements = enumerate(item)
            else:
                raise NotOtlpJson(f"{_named((path, name, None))}: expected an array, got {_got(item)}")
            is_message = field.cpp_type == FieldDescriptor.CPPTYPE_MESSAGE
            for index, element in elements:
                if is_message and isinstance(element, dict):
                    pending.append((field.message_type, element, (path, name, index), depth + 1))
                    continue
                expected = "an object" if is_message else _expected(field, element)
                if expected is not None:
                    raise NotOtlpJson(f"{_named((path, name, index))}: expected {expected}, got {_got(element)}")


def _named(path: tuple | None) -> str:
    """A field's path as the body writes it (`resourceSpans[0].scopeSpans`), from its (parent, name, index)."""
    parts = []
    while path is not None:
        path, name, index = path
        parts.append(name if index is None else f"{name}[{index}]")
    return ".".join(reversed(parts))


@cache
def _fields(message: Descriptor) -> dict[str, tuple[FieldDescriptor, bool]]:
    """The message's fields by their proto and their JSON names, each with whether it is repeated."""
    fields = {**message.fields_by_name, **{field.json_name: field for field in message.fields}}
    return {name: (field, _is_repeated(field)) for name, field in fields.items()}


def _is_repeated(field: FieldDescriptor) -> bool:
    """Newer protobuf releases say `is_repeated` and have dropped `label`, which older ones have alone."""
    return field.is_repeated if hasattr(field, "is_repeated") else field.label == FieldDescriptor.LABEL_REPEATED


def _expected(field: FieldDescriptor, value: Any) -> str | None:
    """What the field takes, when `value` is not that; None when it is."""
    kind = field.cpp_type
    if kind == FieldDescriptor.CPPTYPE_BOOL:
        return None if isinstance(value, bool) else "true or false"
    if kind in _INTEGERS:
        name, low, high = _INTEGERS[kind]
        number = _integer(value)
        return None if number is not None and low <= number <= high else f"{name} (a number or its decimal text)"
    if kind in _FLOATS:
        return None if _is_float(value) else "a number"
    if kind == FieldDescriptor.CPPTYPE_ENUM:  # a name this server does not know is ignored, as a new field is
        number = 0 if isinstance(value, str) else _integer(value)
        return None if number is not None and -(2**31) <= number < 2**31 else f"a {field.enum_type.name} name or number"
    if field.type == FieldDescriptor.TYPE_BYTES:
        if isinstance(value, str) and _is_base64(value):
            return None
        return "a string of hex digits" if field.name in _IDS else "base64 text"
    return None if isinstance(value, str) else "a string"


def _integer(value: Any) -> int | None:
    """An integer as ParseDict reads one: a number without a fraction, or decimal text without spaces."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and " " not in value:
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _is_float(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if not isinstance(value, str) or value == "nan":
        return False
    try:
        float(value)
    except ValueError:
        return value in _FLOAT_WORDS
    return True


def _is_base64(text: str) -> bool:
    """Whether ParseDict decodes the text as bytes: base64, standard or URL-safe, padded or not."""
    encoded = text.encode()
    try:
        base64.urlsafe_b64decode(encoded + b"=" * (4 - len(encoded) % 4))
    except ValueError:  # binascii.Error, or text that is not UTF-8
        return False
    return True


def _got(value: Any) -> str:
    """The value as the body wrote it, short: a number or text shown, a container named."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str) and len(value) > _SHOWN_CHARS:
        return orjson.dumps(value[:_SHOWN_CHARS]).decode()[:-1] + '…"'
    return orjson.dumps(value).decode()
