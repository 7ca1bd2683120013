"""Redaction before storage (P1, P10): one stage on the ingest pipeline, so every entry point (native API,
the published client's endpoints, OTLP, file import) is masked before anything is stored.

Per account, or per project (a project's rules replace the account's), choose what to mask: secrets (API
keys, tokens, passwords), e-mail addresses, phone numbers, card numbers (Luhn), IBANs (mod-97), IP
addresses, custom patterns — and whether to drop prompt and output text altogether. Off unless set
(`PROMPTWATCH_REDACT_SECRETS_BY_DEFAULT` masks secrets for accounts that set nothing). Masked: a session's
name, tags and metadata; an activity's name, tags, error and every string of its body (prompts, outputs,
documents, messages, inputs and outputs, settings, metadata), the keys of their objects included. Kept as
sent: ids, the session's project and tracking tenant, and the labels in an activity's own columns (model,
provider, template name and version, cache namespace). Each activity keeps `redactions: {"email": 2, ...}`.
Replay, caching and search then work on the masked text. Content stored outside the pipeline (datasets)
is masked with `mask`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from promptwatch.schema.common import MAX_JSON_DEPTH, MAX_TAG_LENGTH, TOO_DEEP, ChatMessage, DocumentSnippet
from promptwatch.schema.prompt_loop import ReplaySettings
from promptwatch.schema.records import ActivityIn

from ..errors import InvalidInput
from ..store import redaction_rules as store
from ..store.tables.activities import activities as activity_table
from ..store.tables.sessions import sessions as session_table
from . import audit
from .clock import utc_now
from .credentials import Caller
from .redaction_patterns import KINDS, SECRET_KEY_NAME, Masker, check_custom_pattern, may_hold_secret
from .runtime import Runtime

CACHE_SECONDS = 5.0
MAX_CUSTOM = 20
# body fields whose text `drop_text` removes
DROP_KEYS = frozenset(
    {
        "prompt",
        "generated",
        "text",
        "prompts",
        "documents",
        "inputs",
        "outputs",
        "input",
        "output",
        "input_data",
        "output_data",
        "prompt_input_values",
        "messages",
        "completion",
    }
)
DROPPED = "[DROPPED]"
# keys never masked: the names of the fields of an activity, a chat message and a document, the settings a
# replay sends, and the keys of the shapes the server reads inside them (content parts, tool calls, the SDK's
# cache mark, OpenTelemetry's events, LangChain's invocation parameters)
FIELD_NAMES = (
    frozenset(ActivityIn.model_fields)
    | set(ChatMessage.model_fields)
    | set(DocumentSnippet.model_fields)
    | set(ReplaySettings.model_fields)
    | {"type", "content", "text", "tool_calls", "tool_call_id", "function", "arguments", "image_url", "url"}
    | {"detail", "input_audio", "file", "file_data", "file_id", "filename", "encrypted_content", "cache", "hit"}
    | {"namespace", "otel", "events", "invocation_params", "response_model", "vectors", "dimensions"}
)
MAX_NAME_LENGTH = activity_table.c.name.type.length
MAX_SESSION_NAME_LENGTH = session_table.c.session_name.type.length
MAX_CLEAN_KEYS, MAX_CLEAN_KEY_LENGTH = 10_000, 200


def default_config() -> dict:
    return {kind: False for kind in KINDS} | {"custom": [], "drop_text": False}


def check_config(config: dict) -> dict:
    """The config with defaults filled in; custom patterns must compile and not match the empty string."""
    out = default_config()
    for kind in KINDS:
        out[kind] = bool(config.get(kind, False))
    out["drop_text"] = bool(config.get("drop_text", False))
    custom = config.get("custom") or []
    if len(custom) > MAX_CUSTOM:
        raise InvalidInput(f"at most {MAX_CUSTOM} custom patterns", field="custom")
    names = set()
    for index, item in enumerate(custom):
        name, pattern = item.get("name", ""), item.get("pattern", "")
        problem = check_custom_pattern(pattern)
        if problem:
            raise InvalidInput(f"custom pattern {name!r}: {problem}", field=f"custom.{index}.pattern")
        if name in names or name in KINDS:
            raise InvalidInput(f"custom pattern name {name!r} is used twice or is a built-in kind", field="custom")
        names.add(name)
    out["custom"] = [{"name": item["name"], "pattern": item["pattern"]} for item in custom]
    return out


class _Rules:
    """One account's maskers: for the account ("") and per project."""

    def __init__(self, configs: dict[str, dict], secrets_by_default: bool) -> None:
        self.by_project = {project: _Plan(config) for project, config in configs.items()}
        if "" not in self.by_project and secrets_by_default:
            self.by_project[""] = _Plan({"secrets": True})
        self.per_project = any(project for project in self.by_project)

    def plan_for(self, project: str | None) -> _Plan | None:
        return self.by_project.get(project or "", self.by_project.get("")) if project else self.by_project.get("")


class _Plan:
    def __init__(self, config: dict) -> None:
        kinds = tuple(kind for kind in KINDS if config.get(kind))
        custom = tuple((c["name"], c["pattern"]) for c in config.get("custom") or [])
        self.masker = Masker(kinds, custom)
        self.secrets = "secrets" in kinds
        self.drop_text = bool(config.get("drop_text"))
        self.secrets_only = kinds == ("secrets",) and not custom and not self.drop_text
        self._clean_keys: set[str] = set()  # keys seen to hold nothing to mask: most keys recur in every item

    def __bool__(self) -> bool:
        return bool(self.masker) or self.drop_text

    def value(self, value, counts: Counter, key: str | None = None, depth: int = 0):
        """`value` masked, the keys of its objects too. The entry points refuse or cut free JSON nested deeper
        than MAX_JSON_DEPTH; should a deeper part come anyway it is replaced by TOO_DEEP, not walked: what is
        not read is not kept."""
        if isinstance(value, str):
            if self.secrets and key is not None and SECRET_KEY_NAME.match(key) and value:
                counts["secret"] += 1
                return "[SECRET]"
            return self.masker.mask(value, counts) if self.masker else value
        if isinstance(value, dict | list) and depth >= MAX_JSON_DEPTH:
            return TOO_DEEP
        if isinstance(value, dict):
            masked = {}
            for k, v in value.items():
                masked[self._key(k, counts, masked)] = self.value(v, counts, k, depth + 1)
            return masked
        if isinstance(value, list):
            return [self.value(v, counts, key, depth + 1) for v in value]
        return value

    def body(self, body: dict, counts: Counter) -> dict:
        """An activity's body masked, field by field; `drop_text` replaces the text fields whole."""
        masked = {}
        for k, v in body.items():
            if k == "redactions":
                continue
            if self.drop_text and k in DROP_KEYS and v not in (None, "", [], {}):
                counts["dropped"] += 1
                v = DROPPED
            else:
                v = self.value(v, counts, k)
            masked[self._key(k, counts, masked)] = v
        return masked

    def tags(self, tags, counts: Counter):
        """Tags masked, each still a valid tag: cut to MAX_TAG_LENGTH, and two that mask alike kept once. What is
        not a list of strings (the published client sends what it likes) is masked as any value."""
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            return self.value(tags, counts)
        masked = [self.masker.mask(tag, counts)[:MAX_TAG_LENGTH] for tag in tags] if self.masker else tags
        return tags if masked == tags else list(dict.fromkeys(masked))

    def _key(self, key, counts: Counter, taken: dict):
        """An object's key masked as text, unless it is a field name of the shapes themselves; a key that would
        replace one already in `taken` gets a number, so that no value is lost."""
        if isinstance(key, str) and self.masker and key not in self._clean_keys and key not in FIELD_NAMES:
            masked = self.masker.mask(key, counts)
            if masked == key and len(key) <= MAX_CLEAN_KEY_LENGTH and len(self._clean_keys) < MAX_CLEAN_KEYS:
                self._clean_keys.add(key)
            key = masked
        numbered, n = key, 1
        while numbered in taken:
            n += 1
            numbered = f"{key} ({n})"
        return numbered


class RedactionService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._cache: dict[int, tuple[float, _Rules]] = {}
        self._lock = threading.Lock()

    # configuration (API)
    def get(self, caller: Caller) -> dict:
        caller.require_role("viewer")
        with self._rt.engine.connect() as conn:
            rules = store.rules_of(conn, caller.account_id)
        account = rules.pop("", None)
        secrets_default = self._rt.settings.redact_secrets_by_default
        return {
            "account": account,
            "projects": rules,
            "effective_default": account or (default_config() | {"secrets": secrets_default}),
            "kinds": list(KINDS),
        }

    def put(self, caller: Caller, project: str | None, config: dict) -> dict:
        caller.require_role("admin", account_wide=project != caller.project)  # a limited admin: its own project's
        checked = check_config(config)
        with self._rt.engine.begin() as conn:
            store.save_rule(conn, caller.account_id, project or "", checked, utc_now())
            audit.record(conn, caller.account_id, caller, "settings.redaction", project or "(account)", checked)
        self.forget(caller.account_id)
        return checked

    def delete(self, caller: Caller, project: str | None) -> None:
        caller.require_role("admin", account_wide=project != caller.project)
        with self._rt.engine.begin() as conn:
            store.delete_rule(conn, caller.account_id, project or "")
            audit.record(conn, caller.account_id, caller, "settings.redaction_delete", project or "(account)")
        self.forget(caller.account_id)

    def forget(self, account_id: int) -> None:
        with self._lock:
            self._cache.pop(account_id, None)

    def _rules(self, account_id: int) -> _Rules:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(account_id)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
        with self._rt.engine.connect() as conn:
            configs = store.rules_of(conn, account_id)
        rules = _Rules(configs, self._rt.settings.redact_secrets_by_default)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[account_id] = (now, rules)
        return rules

    def mask(self, account_id: int, project: str | None, value):
        """A JSON-like value stored outside the ingest pipeline (a dataset's content), masked as the stage
        masks a session's metadata: by the rules of `project`, or of the account when it has none."""
        plan = self._rules(account_id).plan_for(project)
        if not plan or (plan.secrets_only and not may_hold_secret(value)):
            return value
        return plan.value(value, Counter())

    # the pipeline stage
    def stage(self, account_id: int, sessions: list[dict], activities: list[dict]) -> None:
        """Mask in place; registered on the ingest pipeline by create_app."""
        rules = self._rules(account_id)
        if not rules.by_project:
            return
        project_of = {s["id"]: s["project"] for s in sessions if s.get("project")}
        if rules.per_project:  # a session sent without its project keeps the stored one
            wanted = {a["session_id"] for a in activities} | {s["id"] for s in sessions}
            unknown = sorted(wanted - project_of.keys())
            if unknown:
                with self._rt.engine.connect() as conn:
                    project_of.update(store.projects_of_sessions(conn, account_id, unknown))
        for session in sessions:
            plan = rules.plan_for(project_of.get(session["id"]))
            if plan:
                _mask_session(plan, session)
        for activity in activities:
            plan = rules.plan_for(project_of.get(activity["session_id"]))
            if plan:
                _mask_activity(plan, activity)


def _mask_session(plan: _Plan, session: dict) -> None:
    """A session record masked in place: its name, tags and metadata (keys and values). Its id, project and
    tracking tenant are kept: they are the keys its data is found and erased by."""
    counts: Counter = Counter()
    if isinstance(session.get("session_name"), str):
        session["session_name"] = plan.value(session["session_name"], counts)[:MAX_SESSION_NAME_LENGTH]
    if session.get("tags"):
        session["tags"] = plan.tags(session["tags"], counts)
    if session.get("metadata"):
        session["metadata"] = plan.value(session["metadata"], counts)


def _mask_activity(plan: _Plan, activity: dict) -> None:
    """An activity record masked in place: its name, tags, error and every string of its body, keys included;
    the counts go to the body's `redactions`. Ids and the labels in its own columns (model, provider, template,
    cache namespace) are kept."""
    body = activity.get("body") or {}
    name, tags, error = activity.get("name"), activity.get("tags"), activity.get("error")
    if plan.secrets_only and "redactions" not in body and not may_hold_secret((body, name, tags, error)):
        return  # the default rules, and nothing in this activity that could be a secret
    counts: Counter = Counter()
    body = plan.body(body, counts)
    if isinstance(name, str):
        activity["name"] = plan.value(name, counts)[:MAX_NAME_LENGTH]
    if tags:
        activity["tags"] = plan.tags(tags, counts)
    if error:
        activity["error"] = plan.value(error, counts)
    if counts:
        body["redactions"] = dict(counts)
    activity["body"] = body
