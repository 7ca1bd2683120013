"""Rules for query strings: a time is ISO-8601 with a UTC offset (`QueryTime`), a time range ends after it
starts (`ordered`), and a route that depends on `known_query_only` refuses a parameter it does not declare
with a 422 naming it, so a misspelt or unsupported filter is never silently ignored."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import Request
from fastapi.dependencies.models import Dependant
from pydantic import AwareDatetime, BeforeValidator

from ..errors import InvalidInput


def _iso_8601(value):
    """Text is read as ISO-8601 only (a bare number is not taken for seconds since 1970), in UTC as stored."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("expected an ISO-8601 time with a UTC offset, e.g. 2026-01-01T00:00:00Z") from None
    try:
        return moment.astimezone(timezone.utc) if moment.tzinfo else moment
    except OverflowError:
        raise ValueError("the time is out of range once converted to UTC") from None


QueryTime = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]


def ordered(since: datetime | None, until: datetime | None) -> None:
    """A range whose `until` comes before its `since` is a mistake (swapped bounds), not an empty answer."""
    if since is not None and until is not None and until < since:
        raise InvalidInput("until must not be before since", field="query.until")


def _declared(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _declared(dependency)
    return names


def known_query_only(request: Request) -> None:
    unknown = sorted(set(request.query_params) - _declared(request.scope["route"].dependant))
    if unknown:
        errors = [{"field": f"query.{n}", "message": "unknown parameter", "type": "extra_forbidden"} for n in unknown]
        raise InvalidInput(f"unknown query parameter: {', '.join(unknown)}", errors=errors)
