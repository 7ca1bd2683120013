"""Anonymized product-usage statistics (P4) and the cookieless page-view counter (P5).

What is counted is a name from a fixed vocabulary per day: the route template of an API request
(`GET /api/v1/sessions/{session_id}`), a UI feature from `UI_FEATURES`, or a UI screen from `UI_SCREENS`
(any further path segment becomes `{id}`; query strings are dropped). No user, account, address, user agent
or content is ever part of a counter. Counts gather in memory and are added to the database every
`usage_stats_flush_seconds`. An account that opted out is not counted, its page views neither; a page view
sent without a credential is counted as the page a signed-out visitor sees at that path (a public page, else
the sign-in page), never as a screen of an account. The instance switch `PROMPTWATCH_USAGE_STATS_ENABLED=false`
counts nothing at all.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date, timedelta

from ..errors import Forbidden, InvalidInput
from ..store import billing as billing_store
from ..store import usage_stats as stats_store
from .clock import utc_now
from .credentials import Caller
from .runtime import Runtime

UI_FEATURES = (
    "ui.sessions.list",
    "ui.sessions.search",
    "ui.sessions.filter",
    "ui.session.view",
    "ui.session.tree",
    "ui.session.replay",
    "ui.prompt.tweak",
    "ui.templates.view",
    "ui.templates.edit",
    "ui.usage.view",
    "ui.keys.create",
    "ui.export",
    "ui.annotations.add",
    "ui.tests.view",
    "ui.settings.view",
    "ui.billing.view",
    "ui.invoices.download",
    "ui.referrals.create",
    "ui.theme.toggle",
)
UI_SCREENS = (
    "sessions",
    "usage",
    "templates",
    "settings",
    "tests",
    "datasets",
    "keys",
    "members",
    "billing",
    "invoices",
    "referrals",
    "policies",
    "login",
    "signup",
    "waitlist",
    "verify",
    "reset",
    "unsubscribe",
    "invitation",
    "shared",
)
# the screens a visitor reaches without signing in; at any other path the UI shows the sign-in page
PUBLIC_SCREENS = frozenset({"signup", "waitlist", "verify", "reset", "unsubscribe", "invitation", "shared", "policies"})
SIGN_IN_PAGE = "/ui/login"
_UNCOUNTED_PREFIXES = ("/static", "/ui", "/api/v1/health", "/api/v1/ready", "/metrics", "/api/v1/page-views")
_OPT_OUT_CACHE_SECONDS = 30.0


def page_template(path: str) -> str:
    """The route template of a UI path: `/ui/<screen>` plus `/{id}` per further segment, nothing else."""
    clean = path.split("?", 1)[0].split("#", 1)[0]
    parts = [p for p in clean.split("/") if p]
    if not parts or parts[0] != "ui":
        raise InvalidInput("page views are counted for /ui/ paths only", field="path")
    if len(parts) == 1:
        return "/ui"
    screen = parts[1] if parts[1] in UI_SCREENS else "{other}"
    return "/ui/" + screen + "/{id}" * min(len(parts) - 2, 3)


def signed_out_page(template: str) -> str:
    """The page a visitor who is not signed in sees at a path of this route template."""
    parts = template.split("/")
    return template if len(parts) > 2 and parts[2] in PUBLIC_SCREENS else SIGN_IN_PAGE


class UsageStatsService:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._features: Counter[tuple[date, str]] = Counter()
        self._pages: Counter[tuple[date, str]] = Counter()
        self._lock = threading.Lock()
        self._opted_out: set[int] = set()
        self._opted_out_at = 0.0

    @property
    def enabled(self) -> bool:
        return self._rt.settings.usage_stats_enabled

    # counting
    def counts_request(self, path: str) -> bool:
        return self.enabled and not path.startswith(_UNCOUNTED_PREFIXES)

    def any_opt_outs(self) -> bool:
        self._refresh_opt_outs()
        return bool(self._opted_out)

    def account_matters(self) -> bool:
        """False when no account opted out (as last seen, without touching the database): then a request
        is counted without finding out whose it is."""
        return bool(self._opted_out) or time.monotonic() - self._opted_out_at >= _OPT_OUT_CACHE_SECONDS

    def count_request(self, method: str, route_template: str, account_id: int | None) -> None:
        self._count(self._features, f"{method} {route_template}", account_id)

    def count_feature(self, caller: Caller, feature: str) -> None:
        if feature not in UI_FEATURES:
            raise InvalidInput("unknown feature; see UI_FEATURES", field="feature")
        self._count(self._features, feature, caller.account_id)

    def count_page_view(self, path: str, account_id: int | None) -> str:
        """Count a view of `path` by its route template: for the caller's account unless it opted out, or, for
        a view without a credential (`account_id` None), as the page a signed-out visitor sees there."""
        template = page_template(path) if account_id is not None else signed_out_page(page_template(path))
        self._count(self._pages, template, account_id)
        return template

    def _count(self, counter: Counter, name: str, account_id: int | None) -> None:
        if not self.enabled:
            return
        if account_id is not None:
            self._refresh_opt_outs()
            if account_id in self._opted_out:
                return
        with self._lock:
            counter[(utc_now().date(), name)] += 1

    def flush(self) -> None:
        with self._lock:
            features, pages = self._features, self._pages
            self._features, self._pages = Counter(), Counter()
        if not features and not pages:
            return
        with self._rt.engine.begin() as conn:
            stats_store.add_counts(conn, "features", dict(features))
            stats_store.add_counts(conn, "pages", dict(pages))

    def _refresh_opt_outs(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._opted_out_at < _OPT_OUT_CACHE_SECONDS:
            return
        with self._rt.engine.connect() as conn:
            self._opted_out = stats_store.opted_out_accounts(conn)
        self._opted_out_at = now

    # the account's choice
    def account_setting(self, caller: Caller) -> dict:
        caller.require("read")
        self._refresh_opt_outs(force=True)
        return {
            "instance_collects": self.enabled,
            "account_opted_out": caller.account_id in self._opted_out,
            "what_is_counted": "per day: API route templates, UI feature names and UI screens; no ids or content",
        }

    def set_account_opt_out(self, caller: Caller, opt_out: bool) -> dict:
        if caller.role != "owner":
            raise Forbidden("only an owner of the account can change this")
        with self._rt.engine.begin() as conn:
            stats_store.set_opt_out(conn, caller.account_id, opt_out, utc_now())
        self._refresh_opt_outs(force=True)
        return self.account_setting(caller)

    # the operator's view
    def report(self, days: int = 30) -> dict:
        self.flush()
        until = utc_now().date()
        since = until - timedelta(days=days - 1)
        start_of_month = utc_now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        with self._rt.engine.connect() as conn:
            features = stats_store.read_counts(conn, "features", since, until)
            pages = stats_store.read_counts(conn, "pages", since, until)
            volumes = billing_store.plan_volumes(conn, start_of_month, utc_now() + timedelta(seconds=1))
        k = self._rt.settings.stats_min_group_size
        released = [dict(v) for v in volumes if v["accounts"] >= k]
        return {
            "since": since,
            "until": until,
            "collecting": self.enabled,
            "features": features,
            "page_views": pages,
            "volume_this_month": {
                "min_group_size": k,
                "groups": released,
                "withheld_groups": len(volumes) - len(released),
            },
        }
