"""Template versions, assigned inside the ingest transaction (and by the templates API).

The rules (docs/prompts.md): the version a caller gives is kept as `given_version` ("1.0" when none is
given); each distinct content under it gets the next `seq` (the new contents of one batch in the order they
were first used), and the version name is `MAJOR.MINOR.<seq>` for a `MAJOR.MINOR` given version, else the
given version itself for the first content and `<given>-rev<seq>` after it. The same (given version,
content) always maps back to its first version, so a reverted template gets its earlier version back.

Several workers: the unique constraints decide. A version is inserted with ON CONFLICT DO NOTHING; whoever
loses re-reads the winner's row (same content) or takes the next seq (other content).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from functools import cache

import orjson
from sqlalchemy import Connection, bindparam, func, select

from .dialect import in_list, insert_for, list_value
from .tables.templates import prompt_template_versions, prompt_templates

DEFAULT_GIVEN = "1.0"
_MAJOR_MINOR = re.compile(r"^\d+\.\d+$")
_MAX_TRIES = 50


def template_content(description: dict) -> dict:
    """The part of a template description that is its content: everything but name and version; input
    parameter order does not matter."""
    content = {k: v for k, v in description.items() if k not in ("template_name", "template_version") and v is not None}
    params = content.get("prompt_input_params")
    if isinstance(params, list) and all(isinstance(p, str) for p in params):
        content["prompt_input_params"] = sorted(params)
    return content


def content_hash(content: dict) -> str:
    try:
        encoded = orjson.dumps(content, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # integers beyond 64 bits: the standard library encodes them as well, only slower
        encoded = json.dumps(content, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def given_version(given: str | None) -> str:
    """The version the caller gave, as it is stored."""
    return (given or "").strip()[:100] or DEFAULT_GIVEN


def version_name(given: str, seq: int) -> str:
    if _MAJOR_MINOR.match(given):
        return f"{given}.{seq}"
    return given if seq == 0 else f"{given}-rev{seq}"


def ensure_template(conn: Connection, account_id: int, name: str, now: datetime) -> int:
    conn.execute(
        insert_for(conn, prompt_templates).on_conflict_do_nothing(),
        {"account_id": account_id, "name": name, "created_at": now},
    )
    return conn.execute(
        select(prompt_templates.c.pk).where(
            prompt_templates.c.account_id == account_id, prompt_templates.c.name == name
        )
    ).scalar_one()


def _existing(conn: Connection, template_pk: int, given: str, digest: str) -> str | None:
    return conn.execute(
        select(prompt_template_versions.c.version).where(
            prompt_template_versions.c.template_pk == template_pk,
            prompt_template_versions.c.given_version == given,
            prompt_template_versions.c.content_hash == digest,
        )
    ).scalar()


def assign_version(
    conn: Connection, account_id: int, name: str, given: str | None, content: dict, source: str, now: datetime
) -> tuple[str, bool]:
    """The version of this content of template `name`: (version, created now?)."""
    given = given_version(given)
    digest = content_hash(content)
    template_pk = ensure_template(conn, account_id, name, now)
    found = _existing(conn, template_pk, given, digest)
    if found is not None:
        return found, False
    table = prompt_template_versions
    seq = conn.execute(
        select(func.coalesce(func.max(table.c.seq) + 1, 0)).where(
            table.c.template_pk == template_pk, table.c.given_version == given
        )
    ).scalar_one()
    for _ in range(_MAX_TRIES):
        version = version_name(given, seq)
        inserted = conn.execute(
            insert_for(conn, table).on_conflict_do_nothing().returning(table.c.pk),
            {
                "account_id": account_id,
                "template_pk": template_pk,
                "version": version,
                "given_version": given,
                "seq": seq,
                "content_hash": digest,
                "content": content,
                "source": source,
                "created_at": now,
            },
        ).first()
        if inserted is not None:
            return version, True
        found = _existing(conn, template_pk, given, digest)
        if found is not None:  # another worker stored this content meanwhile
            return found, False
        seq += 1  # the name or the seq was taken by other content
    raise RuntimeError(f"could not assign a version to template {name!r}")


def template_of(record: dict) -> tuple[str, str | None, dict] | None:
    """(name, given version, content) of an LLM record's named template, else None. Read from the body
    before the ingest pipeline seals it (see `services.templates.template_stage`)."""
    template = (record.get("body") or {}).get("prompt_template")
    if record.get("activity_type") != "llm-prompt" or not isinstance(template, dict):
        return None
    name = template.get("template_name")
    if not isinstance(name, str) or not name.strip():
        return None
    given = template.get("template_version")
    given = given if isinstance(given, str) else (str(given) if given is not None else None)
    return name[:256], given, template_content(template)


def assign_template_versions(conn: Connection, account_id: int, records: list[dict], now: datetime) -> None:
    """The ingest hook: every record the template stage marked (`record["template"]`) gets the assigned
    version in its `template_version` light column (the given one stays in the body). Contents already
    versioned are found in one query; only new ones take the locking path of `assign_version`, numbered in
    the order they were first used: by the earliest start of a call using them, ties by place in the batch."""
    wanted: dict[tuple[str, str, str], tuple[str | None, dict]] = {}  # key -> (given version as sent, content)
    first_use: dict[tuple[str, str, str], tuple[datetime, int]] = {}  # key -> (start, place) of its first call
    marked_records = []
    for place, record in enumerate(records):
        marked = record.get("template")
        if marked is None:
            continue
        name, given, content = marked
        key = (name, given_version(given), content_hash(content))
        wanted.setdefault(key, (given, content))
        use = (record["start_time"], place)
        first_use[key] = min(first_use.get(key, use), use)
        marked_records.append((key, record))
    if not wanted:
        return
    assigned = _stored_versions(conn, account_id, wanted)
    # (name, given version) groups in one order for all workers, the lock order; within a group, by first use
    for key in sorted(wanted.keys() - assigned.keys(), key=lambda key: (key[0], key[1], first_use[key])):
        given, content = wanted[key]
        assigned[key] = assign_version(conn, account_id, key[0], given, content, "ingest", now)[0]
    for key, record in marked_records:
        record["template_name"] = key[0]
        record["template_version"] = assigned[key]


def _stored_versions(conn: Connection, account_id: int, wanted) -> dict[tuple[str, str, str], str]:
    """The versions already stored for these (name, given version, content hash) keys."""
    dialect = conn.dialect.name
    params = {
        "account": account_id,
        "names": list_value(dialect, {key[0] for key in wanted}),
        "hashes": list_value(dialect, {key[2] for key in wanted}),
    }
    rows = conn.execute(_versions_lookup(dialect), params)
    return {(name, given, digest): version for name, given, digest, version in rows if (name, given, digest) in wanted}


@cache
def _versions_lookup(dialect: str):
    versions, templates = prompt_template_versions, prompt_templates
    return (
        select(templates.c.name, versions.c.given_version, versions.c.content_hash, versions.c.version)
        .join(templates, templates.c.pk == versions.c.template_pk)
        .where(
            templates.c.account_id == bindparam("account"),
            in_list(templates.c.name, "names", dialect),
            in_list(versions.c.content_hash, "hashes", dialect),
        )
    )
