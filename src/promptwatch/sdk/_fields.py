"""What the native API would take of the fields the app sets on an activity (`current_activity().update()`, the
logging helpers' feedback) or on a session (`PromptWatch(tags=..., metadata=...)`, `current_session().update()`).

A value the API would refuse would cost the whole activity or session, so it is left out with one warning naming
it, and the rest is sent; of a mapping (`usage`, `metadata`) or a list (`tags`), only the entries it would refuse
are left out. The values are checked against the API's own models (`schema.records`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..schema.records import ActivityIn, SessionIn
from ._safe import warn_once


@dataclass(frozen=True)
class Fields:
    """The fields of one kind of record that the app may set, and how a warning names them."""

    model: type[BaseModel]
    settable: frozenset[str]
    unknown: str  # the warning for a name not in `settable`, formatted with `name`
    prefix: str = ""  # put before a field's name in a warning


ACTIVITY_FIELDS = Fields(
    ActivityIn,
    frozenset(ActivityIn.model_fields)
    - {"id", "session_id", "activity_type", "parent_activity_id", "order", "start_time", "end_time", "error"},
    "PromptWatch: an activity has no field {name!r}; it was left out.",
)
"""The native activity's fields, but for those a span keeps itself."""

SESSION_FIELDS = Fields(
    SessionIn,
    frozenset({"tags", "metadata"}),
    "PromptWatch: a session's update() takes tags and metadata, not {name!r}; it was left out.",
    prefix="session ",
)
"""What the app sets on a session beside its id, project and tenant (the `PromptWatch` arguments) and name."""

_LEFT_OUT: Any = object()


def accepted(fields: dict[str, Any], clear: bool = False, of: Fields = ACTIVITY_FIELDS) -> dict[str, Any]:
    """The fields the API would take, as `update()` keeps them: a name the record does not have, or a value the
    API would refuse, is left out with one warning naming it. A field given as None clears it with `clear`
    (`update()`), else it is left out without a word (an argument not given)."""
    kept = {name: _accepted(of, name, value) for name, value in fields.items() if clear or value is not None}
    return {name: value for name, value in kept.items() if value is not _LEFT_OUT}


def _accepted(of: Fields, name: str, value: Any) -> Any:
    """What the API takes of `value` as the field `name`: all of it, or of a mapping or a list the entries it
    would not refuse, or `_LEFT_OUT`; each entry left out is named in one warning."""
    if name not in of.settable:
        warn_once(f"{of.prefix}update {name}", of.unknown.format(name=name))
        return _LEFT_OUT
    problems = _problems(of.model, name, value)
    if not problems:
        return value
    if all(problem["loc"] for problem in problems):
        rest = _without(value, {problem["loc"][0] for problem in problems})
        if rest and not _problems(of.model, name, rest):
            for problem in problems:
                _warn_left_out(of, name, problem)
            return rest
    _warn_left_out(of, name, problems[0])
    return _LEFT_OUT


def _without(value: Any, refused: set[Any]) -> Any:
    """A mapping without the keys, or a list without the positions, the API refused; None for anything else."""
    if isinstance(value, dict) and refused <= value.keys():
        return {key: item for key, item in value.items() if key not in refused}
    if isinstance(value, list) and all(isinstance(index, int) and 0 <= index < len(value) for index in refused):
        return [item for index, item in enumerate(value) if index not in refused]
    return None


@functools.cache
def _field_type(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    field = model.model_fields[name]
    return TypeAdapter(Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation)


def _problems(model: type[BaseModel], name: str, value: Any) -> list[Any]:
    """Why the API would refuse `value` as the field `name`: pydantic's errors, none when it would take it."""
    try:
        _field_type(model, name).validate_python(value)
    except ValidationError as error:
        return error.errors(include_input=False, include_url=False)
    return []


def _warn_left_out(of: Fields, name: str, problem: Any) -> None:
    where = ".".join(str(part) for part in (name, *problem["loc"]))
    warn_once(f"{of.prefix}update {where}", f"PromptWatch: {of.prefix}{where} was left out: {problem['msg']}.")
