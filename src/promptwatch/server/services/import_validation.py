"""The rows of an imported archive, checked before anything is stored: each line is a JSON object whose keys
are columns of its table; each value has the column's type (text within its length and without NUL,
64-bit integers, finite numbers, times with a UTC offset, binary as `{"$base64"}`, payloads as objects), no
column the table needs is null, and prices and retention days are within the API's bounds. A bad row is a 422
naming the file, the line and the column; times and binary values come back decoded, and what the native API
now refuses as impossible comes back mended (`_mend`). An archive whose objects the account holds already
cannot come in: `held_objects` names them."""

from __future__ import annotations

import base64
import binascii
import math
import zipfile
from collections.abc import Iterator
from datetime import datetime

import orjson
from sqlalchemy import Boolean, Column, Connection, DateTime, Float, Integer, LargeBinary, String

from promptwatch.schema.common import MAX_JSON_DEPTH, nests_deeper

from ..errors import InvalidInput
from ..store.archive_rows import BATCH, exported_tables, held_keys, natural_keys
from ..store.registry import CustomerTable
from .prices import MAX_PER_MTOK
from .retention import MAX_DAYS

_BOUNDS = {  # what the API refuses, an archive may not bring in either
    ("price_overrides", "input_per_mtok"): (0, MAX_PER_MTOK),
    ("price_overrides", "output_per_mtok"): (0, MAX_PER_MTOK),
    ("retention_policies", "content_days"): (1, MAX_DAYS),
    ("retention_policies", "aggregate_days"): (1, MAX_DAYS),
}
HELD_SHOWN = 5  # the ids of objects held already that a refused import names, per file


def parse_row(line: bytes, entry: CustomerTable, number: int) -> dict:
    """Line `number` of `entry`'s file as a row to insert; InvalidInput when it cannot be one."""
    table, name = entry.table, f"{entry.export_kind}.jsonl"

    def refuse(problem: str, column: str | None = None) -> InvalidInput:
        where = {"file": name, "line": number} | ({"field": column} if column else {})
        return InvalidInput(f"{name} line {number}: {problem}", **where)

    try:
        row = orjson.loads(line)
    except orjson.JSONDecodeError:
        raise refuse("not JSON") from None
    if not isinstance(row, dict):
        raise refuse("not a JSON object")
    for key in row:
        if key not in table.c:
            raise refuse(f"{table.name} has no column {key!r}", key)
    for column in table.c:
        value = row.get(column.name)
        if column.name in entry.encrypted:  # a payload as plain JSON, sealed again on import
            if not isinstance(value, dict):
                raise refuse(f"{column.name} must be a JSON object", column.name)
            if nests_deeper(value, MAX_JSON_DEPTH + 1):  # its fields nest as ingest allows them
                raise refuse(f"{column.name} nests deeper than ingest allows", column.name)
            continue
        if value is None:
            if column.nullable or column.name == "account_id":  # the account is always the importer's
                continue
            if column.name not in row and column.default is not None:
                continue
            raise refuse(f"{column.name} {'cannot be null' if column.name in row else 'is missing'}", column.name)
        try:
            row[column.name] = _decoded(column, value)
        except ValueError as exc:
            raise refuse(f"{column.name} {exc}", column.name) from None
        bounds = _BOUNDS.get((table.name, column.name))
        if bounds and not bounds[0] <= row[column.name] <= bounds[1]:
            raise refuse(f"{column.name} must be between {bounds[0]:g} and {bounds[1]:g}", column.name)
    _mend(table.name, row)
    return row


def held_objects(conn: Connection, archive: zipfile.ZipFile, account_id: int) -> dict[str, tuple[list[str], int]]:
    """Per file, the objects of the archive that the account holds already under the same id or name (a
    session, a project, a dataset, ...): the first HELD_SHOWN of them in order, and how many there are. Read
    a batch of rows at a time."""
    held = {}
    for entry in exported_tables():
        name, keys = f"{entry.export_kind}.jsonl", natural_keys(entry.table)
        if not keys or name not in archive.namelist():
            continue
        first: list[str] = []
        count = 0
        with archive.open(name) as member:
            for batch in _batches(member, entry):
                for columns in keys:
                    values = [tuple(row[column.name] for column in columns) for row in batch]
                    found = [" ".join(map(str, key)) for key in held_keys(conn, account_id, columns, values)]
                    count += len(found)
                    first = sorted(first + found)[:HELD_SHOWN]
        if count:
            held[entry.export_kind] = (first, count)
    return held


def _batches(member, entry: CustomerTable) -> Iterator[list[dict]]:
    batch = []
    for number, line in enumerate(member, start=1):
        batch.append(parse_row(line, entry, number))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _mend(table: str, row: dict) -> None:
    """What the native API now refuses as impossible, older stores kept (and their archives hold): it is
    mended as the published client's endpoints mend it, an end before the start taken as the start and an
    activity that is its own parent a root."""
    start, end = row.get("start_time"), row.get("end_time")
    if start is not None and end is not None and end < start:
        row["end_time"] = start
    if table == "activities" and row.get("parent_activity_id") is not None and row["parent_activity_id"] == row["id"]:
        row["parent_activity_id"] = None


def _decoded(column: Column, value):
    """The value as the column takes it; ValueError says what is wrong with it."""
    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, Boolean):
        return _typed(value, bool, "true or false")
    if isinstance(kind, Integer):  # 64 bits: PostgreSQL's narrower columns refuse more (see archive.py)
        if isinstance(value, bool) or not isinstance(value, int) or not -(2**63) <= value < 2**63:
            raise ValueError("must be a 64-bit integer")
        return value
    if isinstance(kind, Float):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value
    if isinstance(kind, String):
        text = _typed(value, str, "text")
        if "\x00" in text or (kind.length is not None and len(text) > kind.length):
            raise ValueError(f"must be text of at most {kind.length or 'any number of'} characters, without NUL")
        return text
    if isinstance(kind, DateTime):
        return _moment(value)
    if isinstance(kind, LargeBinary):
        encoded = value.get("$base64") if isinstance(value, dict) else None
        try:
            return base64.b64decode(_typed(encoded, str, '{"$base64": ...}'), validate=True)
        except binascii.Error:
            raise ValueError("is not valid base64") from None
    if nests_deeper(value):  # JSON documents: any JSON value ingest would take
        raise ValueError(f"nests deeper than {MAX_JSON_DEPTH} levels of objects and arrays")
    return value


def _typed(value, expected: type, described: str):
    if not isinstance(value, expected):
        raise ValueError(f"must be {described}")
    return value


def _moment(value) -> datetime:
    try:
        moment = datetime.fromisoformat(_typed(value, str, "an ISO-8601 time"))
    except ValueError:
        raise ValueError("must be an ISO-8601 time with a UTC offset") from None
    if moment.tzinfo is None:
        raise ValueError("must be an ISO-8601 time with a UTC offset")
    return moment
