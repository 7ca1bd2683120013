"""Template versions, assigned inside the ingest transaction (and by the templates API).

The rules (docs/prompts.md): the version a caller gives is kept as `given_version` ("1.0" when none is
given); each distinct content under it gets the next `seq` (the new contents of one batch in the order they
were first used), and the version name is `MAJOR.MINOR.<seq>` for a `MAJOR.MINOR` given version, else the
given version itself for the first content and `<given>-rev<seq>` after it. The same (given version,
content) always maps back to its first version, so a reverted template gets its earlier version back.

The content is the description as `template_content` makes it, whichever route sent it: a `format` or
`prompt_input_params` left out counts as what the templates API gives (`f-string`, `chat_messages` for a
list of messages; the template's placeholders), so the API, the SDK and a client leaving them out meet in
one version. Its SHA-256 is stored (`content_hash`). Earlier releases hashed a description as it was
sent; a version they stored is found by the hashes of this content with those defaults left out
(`content_hashes`), so its calls go on counting for it. Stored rows are never rewritten.

Several workers: the unique constraints decide. A version is inserted with ON CONFLICT DO NOTHING; whoever
loses re-reads the winner's row (same content) or takes the next seq (other content).
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from datetime import datetime
from functools import cache, lru_cache

import orjson
from sqlalchemy import Connection, bindparam, func, select

from .dialect import in_list, insert_for, list_value
from .tables.templates import prompt_template_versions, prompt_templates

DEFAULT_GIVEN = "1.0"
_MAJOR_MINOR = re.compile(r"^\d+\.\d+$")
_MAX_TRIES = 50
_F_STRING_FORMATS = ("f-string", "chat_messages")
_MESSAGE_F_STRING = (None, "", "f-string")  # a chat message's format: left out, it is an f-string


def template_content(description: dict) -> dict:
    """The part of a template description that is its content: everything but name and version, null
    fields left out, and the defaults of the templates API filled in (`_with_defaults`); input parameter
    order does not matter."""
    content = {k: v for k, v in description.items() if k not in ("template_name", "template_version") and v is not None}
    template = content.get("prompt_template")
    if isinstance(template, list):
        content["prompt_template"] = [_message_content(m) for m in template]
    return _with_defaults(content, "chat_messages" if isinstance(template, list) else "f-string")


def _is_message_template(message) -> bool:
    return isinstance(message, dict) and isinstance(message.get("prompt_template"), str)


def _message_content(message):
    """A chat message that is a template (`{"role", "prompt_template", ...}`) with the defaults of a whole
    template (its `format` is `f-string`); a literal message or a messages placeholder as it is."""
    return _with_defaults(dict(message), "f-string") if _is_message_template(message) else message


def _with_defaults(content: dict, default_format: str) -> dict:
    if not content.get("format"):
        content["format"] = default_format
    params = content.get("prompt_input_params")
    if not params:  # left out, null or empty: the placeholders, as the API finds them
        fields = _default_params(content)
        if fields is not None:
            content["prompt_input_params"] = fields
    elif isinstance(params, list) and all(isinstance(p, str) for p in params):
        content["prompt_input_params"] = sorted(params)
    return content


def _default_params(content: dict) -> list[str] | None:
    """The placeholders that input parameters left out count as: those of an f-string (a text, or chat
    messages); None for a template of another format (jinja2, mustache), which is not read here."""
    if content.get("format") not in _F_STRING_FORMATS:
        return None
    return template_fields(content.get("prompt_template"))


def template_fields(template) -> list[str] | None:
    """The sorted placeholder names of a text read as an f-string, or of a list of chat messages (the fields
    of those that are f-strings, and the messages placeholders); None when a text is not a valid f-string,
    or for anything else."""
    if not isinstance(template, str | list):
        return None
    names = {m for m in template if isinstance(m, str)} if isinstance(template, list) else set()
    for text in _f_string_texts(template):
        fields = _f_string_fields(text)
        if fields is None:
            return None
        names |= fields
    return sorted(names)


def _f_string_texts(template) -> list[str]:
    """The f-string texts of a template: the text itself, or the chat messages that are f-string templates."""
    if isinstance(template, str):
        return [template]
    if isinstance(template, list):
        return [
            m["prompt_template"] for m in template if _is_message_template(m) and m.get("format") in _MESSAGE_F_STRING
        ]
    return []


def placeholder_fault(name: str) -> str | None:
    """Why an f-string placeholder cannot be filled from input values, as LangChain refuses it too: it has no
    name (`{}`, `{0}`) or reads an attribute or an index (`{a.b}`, `{a[0]}`); None when it is a plain name."""
    if not name or name.isdigit():
        return "a placeholder without a name, {} or {0}"
    if "." in name or "[" in name:
        return f"{{{name}}} reads an attribute or an index"
    return None


def unfillable_placeholder(content: dict) -> str | None:
    """The first `placeholder_fault` of an f-string template's content (a text or chat messages), None when
    every placeholder can be filled or the content is of another format."""
    if content.get("format") not in _F_STRING_FORMATS:
        return None
    for text in _f_string_texts(content.get("prompt_template")):
        # a text that is no f-string at all is `template_fields`' to tell
        fault = next((f for f in map(placeholder_fault, _f_string_placeholders(text) or ()) if f), None)
        if fault:
            return fault
    return None


@lru_cache(maxsize=1024)
def _f_string_fields(text: str) -> frozenset[str] | None:
    """The placeholder names of a text read as an f-string, None when it is not a valid one; remembered too, as
    ingest asks for them with every call of a template."""
    placeholders = _f_string_placeholders(text)
    return None if placeholders is None else frozenset(p for p in placeholders if p)


@lru_cache(maxsize=1024)
def _f_string_placeholders(text: str) -> tuple[str, ...] | None:
    """Every placeholder of a text read as an f-string, as written (`""` for `{}`), None when it is not a valid
    one; remembered, as most calls of a template come with its unchanged text."""
    try:
        return tuple(field for _, field, _, _ in string.Formatter().parse(text) if field is not None)
    except ValueError:
        return None


def content_hash(content: dict) -> str:
    try:
        encoded = orjson.dumps(content, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except TypeError:  # integers beyond 64 bits: the standard library encodes them as well, only slower
        encoded = json.dumps(content, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def content_hashes(content: dict) -> list[str]:
    """The hash of this content (`template_content`'s), then the hashes earlier releases stored for it: they
    hashed a description as it was sent, so without the defaults filled in now (left-out placeholders,
    formats, and the SDK's null for a chat message without placeholders). At most eight; each of those
    descriptions is this content by today's rule, and no other content's."""
    forms = [content]
    for leave_out in (_without_default_params, _without_default_formats, _with_null_empty_params):
        forms += [form for form in map(leave_out, forms) if form is not None]
    return list(dict.fromkeys(map(content_hash, forms)))


def _without_default_params(form: dict) -> dict | None:
    params = form.get("prompt_input_params")
    if params is None or params != _default_params(form):
        return None
    return {k: v for k, v in form.items() if k != "prompt_input_params"}


def _without_default_formats(form: dict) -> dict | None:
    template = form.get("prompt_template")
    if form.get("format") != ("chat_messages" if isinstance(template, list) else "f-string"):
        return None
    stripped = {k: v for k, v in form.items() if k != "format"}
    if isinstance(template, list):
        stripped["prompt_template"] = [
            {k: v for k, v in m.items() if k != "format"}
            if _is_message_template(m) and m.get("format") == "f-string"
            else m
            for m in template
        ]
    return stripped


def _with_null_empty_params(form: dict) -> dict | None:
    template = form.get("prompt_template")
    if not isinstance(template, list):
        return None
    messages = [
        {**m, "prompt_input_params": None}
        if _is_message_template(m) and m.get("prompt_input_params") == [] == _default_params(m)
        else m
        for m in template
    ]
    return {**form, "prompt_template": messages} if messages != template else None


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


def _existing(conn: Connection, template_pk: int, given: str, hashes: list[str]) -> str | None:
    table = prompt_template_versions
    rows = conn.execute(
        select(table.c.content_hash, table.c.seq, table.c.version).where(
            table.c.template_pk == template_pk, table.c.given_version == given, table.c.content_hash.in_(hashes)
        )
    ).all()
    return _first_stored(rows, hashes[0])


def _first_stored(rows, digest: str) -> str | None:
    """Of the versions stored for one content (`(content_hash, seq, version)`), the one under its hash, else
    the oldest stored under an earlier release's hash for it."""
    if not rows:
        return None
    return min(rows, key=lambda row: (row[0] != digest, row[1]))[2]


def assign_version(
    conn: Connection, account_id: int, name: str, given: str | None, content: dict, source: str, now: datetime
) -> tuple[str, bool]:
    """The version of this content of template `name`: (version, created now?)."""
    given = given_version(given)
    hashes = content_hashes(content)
    digest = hashes[0]
    template_pk = ensure_template(conn, account_id, name, now)
    found = _existing(conn, template_pk, given, hashes)
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
        found = _existing(conn, template_pk, given, hashes)
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
    """The versions already stored for these (name, given version, content hash) keys, also those stored
    under an earlier release's hash of the same content (`content_hashes`)."""
    keys_by_hash = {}
    for key, (_given, content) in wanted.items():
        for digest in content_hashes(content):
            keys_by_hash[(key[0], key[1], digest)] = key
    dialect = conn.dialect.name
    params = {
        "account": account_id,
        "names": list_value(dialect, {key[0] for key in wanted}),
        "hashes": list_value(dialect, {found[2] for found in keys_by_hash}),
    }
    rows_by_key: dict[tuple[str, str, str], list] = {}
    for name, given, digest, seq, version in conn.execute(_versions_lookup(dialect), params):
        key = keys_by_hash.get((name, given, digest))
        if key is not None:
            rows_by_key.setdefault(key, []).append((digest, seq, version))
    return {key: _first_stored(rows, key[2]) for key, rows in rows_by_key.items()}


@cache
def _versions_lookup(dialect: str):
    versions, templates = prompt_template_versions, prompt_templates
    return (
        select(templates.c.name, versions.c.given_version, versions.c.content_hash, versions.c.seq, versions.c.version)
        .join(templates, templates.c.pk == versions.c.template_pk)
        .where(
            templates.c.account_id == bindparam("account"),
            in_list(templates.c.name, "names", dialect),
            in_list(versions.c.content_hash, "hashes", dialect),
        )
    )
