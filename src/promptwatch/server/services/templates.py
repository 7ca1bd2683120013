"""Prompt templates: versions assigned by content (store/template_versions.py has the rules), labels that
point at a version (movable, with rollback), diffs between versions, and per-version executions and stats.
"""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta, timezone

from promptwatch.schema.prompt_loop import TemplateCreate

from ..errors import InvalidInput, NotFound
from ..store import template_versions
from ..store import templates as store
from .clock import utc_now
from .credentials import Caller, limited_project_id
from .json_bodies import storable_text
from .money import money
from .page_cursors import int64
from .runtime import Runtime

_LABEL = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_NAME_LIMIT = 256
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)


def render(content: dict) -> str:
    """A template's content as text, for reading and diffs: the text, or one line block per chat message."""
    template = content.get("prompt_template")
    if isinstance(template, str):
        return template
    if isinstance(template, list):
        blocks = []
        for message in template:
            if isinstance(message, str):
                blocks.append(f"{{{message}}}  (messages placeholder)")
            elif isinstance(message, dict) and "prompt_template" in message:
                blocks.append(f"[{message.get('role') or 'message'}]\n{render(message)}")
            elif isinstance(message, dict):
                blocks.append(f"[{message.get('role') or 'message'}]\n{message.get('text', '')}")
        return "\n".join(blocks)
    return "" if template is None else str(template)


def _unified_diff(before: str, after: str, before_name: str, after_name: str) -> str:
    """The unified diff of two texts, each of its lines ending in a newline, also that of a text's last line,
    which seldom has one. Lines keep their ends when compared, so a change of the final newline alone shows."""
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=before_name, tofile=after_name
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def input_params(template) -> list[str]:
    """The placeholders of a text or of a list of chat messages, as ingest fills them in for a template
    that leaves them out (`template_versions.template_fields`); 422 for a text that is not an f-string."""
    fields = template_versions.template_fields(template)
    if fields is None and isinstance(template, str | list):
        raise InvalidInput("the template is not a valid f-string", field="template")
    return fields or []


def content_of(body: TemplateCreate) -> dict:
    """The content the SDK or the published client would send for the same template, so every route meets
    in one version: the text (an f-string) or the chat messages, their placeholders, and the format, which
    defaults to `f-string` (`chat_messages` for a list), as `template_versions.template_content` fills in
    for a description that leaves it out."""
    if isinstance(body.template, dict):
        return _fillable(template_versions.template_content(body.template))
    template = body.template
    if isinstance(template, list):
        template = [
            {
                "prompt_template": m.get("prompt_template", m.get("text", "")),
                "role": m.get("role"),
                "prompt_input_params": input_params(m.get("prompt_template", "")),
                "format": "f-string",
            }
            if isinstance(m, dict)
            else m
            for m in template
        ]
    description = {
        "prompt_template": template,
        "prompt_input_params": body.input_params or input_params(body.template),
        "format": body.format or ("chat_messages" if isinstance(template, list) else "f-string"),
    }
    return _fillable(template_versions.template_content(description))


def _fillable(content: dict) -> dict:
    """The content, when replay and the SDK can fill each of its placeholders from input values; 422 otherwise."""
    fault = template_versions.unfillable_placeholder(content)
    if fault:
        raise InvalidInput(f"the template is not a valid f-string: {fault}", field="template")
    return content


def _encode_before(row) -> str:
    """Where the next page of executions starts: `<start, microseconds since 1970>.<storage order>` of the
    last call listed."""
    return f"{(row['start_time'] - _EPOCH) // _MICROSECOND}.{row['pk']}"


def _decode_before(before: str) -> tuple[datetime, int]:
    try:
        micros, pk = (int(part) for part in before.split("."))
        return _EPOCH + micros * _MICROSECOND, int64(pk)
    except (ValueError, OverflowError):
        raise InvalidInput("before is not a next_before this server handed out", field="before") from None


def _check_name(name: str) -> str:
    if not name.strip() or len(name) > _NAME_LIMIT:
        raise InvalidInput(f"a template name has 1 to {_NAME_LIMIT} characters", field="name")
    return name


def template_stage(_account_id: int, _sessions: list[dict], activities: list[dict]) -> None:
    """Ingest pipeline stage: mark each LLM record that names a template with (name, given version, content)
    for the writer, which assigns the version in its transaction; runs before the body is sealed."""
    for record in activities:
        marked = template_versions.template_of(record)
        if marked is not None:
            record["template"] = marked


class TemplateService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime

    def _pk(self, conn, caller: Caller, name: str) -> int:
        pk = store.template_pk(conn, caller.account_id, name)
        if pk is None:
            raise NotFound(f"no template {name!r}")
        return pk

    def version_name(self, caller: Caller, name: str, version: str) -> str:
        """The stored name of the version addressed as `version`; `version` itself when there is none, for the
        caller to answer its own 404."""
        with self._rt.engine.connect() as conn:
            pk = store.template_pk(conn, caller.account_id, name)
            row = store.version(conn, pk, version) if pk is not None else None
        return row["version"] if row is not None else version

    def register(self, caller: Caller, name: str, body: TemplateCreate) -> dict:
        """NUL and half a UTF-16 pair in the template are U+FFFD, as ingest stores them (`storable_text`)."""
        caller.require("send")
        content = content_of(body.model_copy(update=storable_text(body.model_dump())))
        with self._rt.engine.begin() as conn:
            version, created = template_versions.assign_version(
                conn, caller.account_id, _check_name(name), body.version, content, "api", utc_now()
            )
        return {"name": name, "version": version, "created": created, "text": render(content)}

    def list(self, caller: Caller, limit: int, offset: int) -> dict:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            rows = store.list_templates(conn, caller.account_id, limit, offset)
            items = []
            for row in rows:
                labels = _current_labels(store.label_history(conn, row["pk"]))
                items.append(
                    {
                        "name": row["name"],
                        "created_at": row["created_at"],
                        "versions": row["versions"] or 0,
                        "last_version_at": row["last_version_at"],
                        "labels": labels,
                    }
                )
        return {"items": items}

    def get(self, caller: Caller, name: str) -> dict:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            pk = self._pk(conn, caller, name)
            versions = [dict(v) for v in store.versions(conn, pk)]
            history = store.label_history(conn, pk)
            stats = {s["version"]: _stats_view(s) for s in _version_stats(conn, caller, name)}
        for item in versions:
            item["stats"] = stats.get(item["version"], _stats_view(None))
        return {
            "name": name,
            "versions": versions,
            "labels": _current_labels(history),
            "label_history": [dict(h) for h in history],
        }

    def version(self, caller: Caller, name: str, version: str, diff_to: str | None = None) -> dict:
        caller.require("read")
        with self._rt.engine.connect() as conn:
            pk = self._pk(conn, caller, name)
            row = _stored_version(conn, pk, name, version)
            other = _stored_version(conn, pk, name, diff_to) if diff_to else None
            stats = {s["version"]: s for s in _version_stats(conn, caller, name)}
        item = dict(row)
        item["text"] = render(item["content"])
        item["stats"] = _stats_view(stats.get(row["version"]))
        if other is not None:
            item["diff_to"] = other["version"]
            item["diff"] = _unified_diff(
                render(other["content"]), item["text"], f"{name}@{other['version']}", f"{name}@{row['version']}"
            )
        return item

    def executions(self, caller: Caller, name: str, version: str, limit: int, before: str | None) -> dict:
        """Newest first by start time (storage order among calls that start together); `before` is the
        `next_before` of the page read last."""
        caller.require("read")
        if not 0 < limit <= 500:
            raise InvalidInput("limit must be between 1 and 500", field="limit")
        after = _decode_before(before) if before else None
        with self._rt.engine.connect() as conn:
            stored = _stored_version(conn, self._pk(conn, caller, name), name, version)["version"]
            project_id = limited_project_id(conn, caller)
            rows = store.executions(conn, caller.account_id, name, stored, project_id, limit + 1, after)
        more = len(rows) > limit
        rows = rows[:limit]
        return {
            "items": [{k: v for k, v in r.items() if k != "pk"} for r in rows],
            "next_before": _encode_before(rows[-1]) if more else None,
        }

    def move_label(self, caller: Caller, name: str, label: str, version: str) -> dict:
        caller.require("ingest")
        if not _LABEL.match(label):
            raise InvalidInput("a label has 1 to 100 letters, digits, '.', '_' or '-'", field="label")
        with self._rt.engine.begin() as conn:
            pk = self._pk(conn, caller, name)
            stored = _stored_version(conn, pk, name, version)["version"]
            store.move_label(conn, caller.account_id, pk, label, stored, utc_now())
        return {"name": name, "label": label, "version": stored}

    def rollback_label(self, caller: Caller, name: str, label: str) -> dict:
        """Point the label back at the version it had before its latest move (a new move, so history stays)."""
        caller.require("ingest")
        with self._rt.engine.begin() as conn:
            pk = self._pk(conn, caller, name)
            history = store.label_history(conn, pk, label)
            if len(history) < 2:
                raise NotFound(f"label {label!r} of template {name!r} has no earlier version")
            version = history[1]["version"]
            store.move_label(conn, caller.account_id, pk, label, version, utc_now())
        return {"name": name, "label": label, "version": version}

    def resolve_label(self, caller: Caller, name: str, label: str) -> dict:
        """What an app fetches at run time: the template behind a label."""
        caller.require("read")
        with self._rt.engine.connect() as conn:
            pk = self._pk(conn, caller, name)
            history = store.label_history(conn, pk, label)
            if not history:
                raise NotFound(f"template {name!r} has no label {label!r}")
            row = store.version(conn, pk, history[0]["version"])
        content = row["content"]
        return {
            "name": name,
            "label": label,
            "version": row["version"],
            "template": content.get("prompt_template"),
            "input_params": content.get("prompt_input_params"),
            "format": content.get("format"),
            "text": render(content),
            "moved_at": history[0]["moved_at"],
        }


def _version_stats(conn, caller: Caller, name: str):
    """The template belongs to the whole account, its calls to their projects: a project-limited caller's
    stats count its project's calls only."""
    return store.version_stats(conn, caller.account_id, name, limited_project_id(conn, caller))


def _stored_version(conn, pk: int, name: str, version: str):
    """The version addressed by its stored name or by the version it was given as (`store.version`)."""
    row = store.version(conn, pk, version)
    if row is None:
        raise NotFound(f"template {name!r} has no version {version!r}")
    return row


def _current_labels(history) -> dict[str, str]:
    labels: dict[str, str] = {}
    for move in history:  # newest first
        labels.setdefault(move["label"], move["version"])
    return labels


def _stats_view(row) -> dict:
    if row is None:
        return {
            "calls": 0,
            "errors": 0,
            "error_rate": None,
            "cost": 0.0,
            "unpriced_calls": 0,
            "total_tokens": 0,
            "latency_ms_mean": None,
            "annotated": 0,
            "annotation_score": None,
            "rating_mean": None,
        }
    calls = row["calls"] or 0
    return {
        "calls": calls,
        "errors": row["errors"] or 0,
        "error_rate": (row["errors"] or 0) / calls if calls else None,
        "cost": money(row["cost"] or 0),
        "unpriced_calls": row["unpriced_calls"] or 0,
        "total_tokens": int(row["total_tokens"] or 0),
        "latency_ms_mean": float(row["latency_ms_mean"]) if row["latency_ms_mean"] is not None else None,
        "annotated": row["annotated"] or 0,
        "annotation_score": float(row["annotation_score"]) if row["annotation_score"] is not None else None,
        "rating_mean": float(row["rating_mean"]) if row["rating_mean"] is not None else None,
    }
