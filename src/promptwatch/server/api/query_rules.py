"""Rules for query strings: a time is ISO-8601 with a UTC offset (`QueryTime`), a time range ends after it
starts (`ordered`), and a route that depends on `known_query_only` refuses a parameter it does not declare, or
repeats one it declares as taking one value, with a 422 naming it, so a misspelt or unsupported filter is never
silently ignored, nor all but one of a filter's values."""

from __future__ import annotations

import re
import types
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Annotated, Union, get_args, get_origin

from fastapi import Request
from fastapi.dependencies.models import Dependant
from pydantic import AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError

from promptwatch.schema.common import not_a_time

from ..errors import InvalidInput

# `?since=2026-11-25T00:00:00+01:00` with the `+` not URL-encoded arrives as a space before the offset
_SPACED_OFFSET = re.compile(r"(?P<time>.*\d:\d\d(?::\d\d(?:[.,]\d+)?)?) (?P<offset>\d\d(?::?\d\d)?)")


def _iso_8601(value):
    """Text is read as ISO-8601 with a UTC offset only (a bare number is not taken for seconds since 1970, a time
    without an offset is no moment), in UTC as stored; a space in place of the offset's `+` is that `+`. A
    refusal echoes the value received, with the message every native endpoint gives a time it cannot take."""
    if not isinstance(value, str):
        return value
    spaced = _SPACED_OFFSET.fullmatch(value)
    try:
        moment = datetime.fromisoformat(f"{spaced['time']}+{spaced['offset']}" if spaced else value)
    except ValueError:
        raise not_a_time(value) from None
    if moment.tzinfo is None:
        raise not_a_time(value)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise PydanticCustomError("datetime_range", "the time is out of range once converted to UTC") from None


QueryTime = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]


def ordered(since: datetime | None, until: datetime | None) -> None:
    """A range whose `until` comes before its `since` is a mistake (swapped bounds), not an empty answer."""
    if since is not None and until is not None and until < since:
        raise InvalidInput("until must not be before since", field="query.until")


def _declared(dependant: Dependant) -> dict[str, bool]:
    """The query parameters of a route and its dependencies, each with whether it takes several values."""
    names = {param.alias: _takes_several(param.field_info.annotation) for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _declared(dependency)
    return names


def _takes_several(annotation) -> bool:
    """Whether a parameter of this type reads every value it is given, as FastAPI reads a list, set or tuple
    (optional or not)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _takes_several(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return any(_takes_several(a) for a in get_args(annotation) if a is not type(None))
    kind = origin or annotation
    return isinstance(kind, type) and issubclass(kind, Sequence | set | frozenset) and not issubclass(kind, str | bytes)


def known_query_only(request: Request) -> None:
    declared = _declared(request.scope["route"].dependant)
    unknown = sorted(set(request.query_params) - set(declared))
    given = {name: len(request.query_params.getlist(name)) for name, several in declared.items() if not several}
    repeated = sorted(name for name, times in given.items() if times > 1)
    if not unknown and not repeated:
        return
    messages = {name: f"{name} is given {given[name]} times; it takes one value" for name in repeated}
    errors = [{"field": f"query.{n}", "message": "unknown parameter", "type": "extra_forbidden"} for n in unknown]
    errors += [{"field": f"query.{n}", "message": messages[n], "type": "repeated_parameter"} for n in repeated]
    details = [f"unknown query parameter: {', '.join(unknown)}"] if unknown else []
    raise InvalidInput("; ".join(details + list(messages.values())), errors=errors)
