"""Redaction before storage (P1, P10): one stage on the ingest pipeline, so every entry point (native API,
the published client's endpoints, OTLP, file import) is masked before anything is stored.

Per account, or per project (a project's rules replace the account's), choose what to mask: secrets (API
keys, tokens, passwords), e-mail addresses, phone numbers, card numbers (Luhn), IBANs (mod-97), IP
addresses, custom patterns — and whether to drop prompt and output text altogether. Off unless set
(`PROMPTWATCH_REDACT_SECRETS_BY_DEFAULT` masks secrets for accounts that set nothing). Masked: session
names and metadata values; every string of an activity's body (prompts, outputs, documents, messages,
inputs and outputs, metadata values) and its error. Each activity keeps `redactions: {"email": 2, ...}`.
Replay, caching and search then work on the masked text. Content stored outside the pipeline (datasets)
is masked with `mask`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

from promptwatch.schema.common import MAX_JSON_DEPTH, TOO_DEEP

from ..errors import InvalidInput
from ..store import redaction_rules as store
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

    def __bool__(self) -> bool:
        return bool(self.masker) or self.drop_text

    def value(self, value, counts: Counter, key: str | None = None, top: bool = False, depth: int = 0):
        """`value` masked. The entry points refuse or cut free JSON nested deeper than MAX_JSON_DEPTH; should a
        deeper part come anyway it is replaced by TOO_DEEP, not walked: what is not read is not kept."""
        if top and self.drop_text and key in DROP_KEYS and value not in (None, "", [], {}):
            counts["dropped"] += 1
            return DROPPED
        if isinstance(value, str):
            if self.secrets and key is not None and SECRET_KEY_NAME.match(key) and value:
                counts["secret"] += 1
                return "[SECRET]"
            return self.masker.mask(value, counts) if self.masker else value
        if isinstance(value, dict | list) and depth >= MAX_JSON_DEPTH:
            return TOO_DEEP
        if isinstance(value, dict):
            return {k: self.value(v, counts, k, depth=depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, counts, key, depth=depth + 1) for v in value]
        return value


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
            if not plan:
                continue
            counts: Counter = Counter()
            if isinstance(session.get("session_name"), str):
                session["session_name"] = plan.value(session["session_name"], counts)
            if session.get("metadata"):
                session["metadata"] = plan.value(session["metadata"], counts)
        for activity in activities:
            plan = rules.plan_for(project_of.get(activity["session_id"]))
            if not plan:
                continue
            body = activity.get("body") or {}
            if plan.secrets_only and "redactions" not in body and not may_hold_secret((body, activity.get("error"))):
                continue  # the default rules, and nothing in this activity that could be a secret
            counts = Counter()
            body = {k: plan.value(v, counts, k, top=True) for k, v in body.items() if k != "redactions"}
            if activity.get("error"):
                activity["error"] = plan.value(activity["error"], counts)
            if counts:
                body["redactions"] = dict(counts)
            activity["body"] = body
