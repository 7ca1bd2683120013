"""Versioned policy documents and the notice of their changes (P20).

The privacy policy's version 1 is the text shipped with PromptWatch (docs/privacy-policy.md). A new
version may only be announced with an effective date at least 30 business days after the announcement
(weekends and the configured holidays do not count; exactly 30 is allowed, 29 is refused). Announcing
mails every account owner a legal notice (sent regardless of marketing opt-outs), and each user sees the
notice (`GET /api/v1/policies/notices`) until they acknowledge it; acknowledgements are recorded.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from ..errors import Forbidden, InvalidInput, NotFound
from ..settings import iso_dates
from ..store import policies as policy_store
from ..store.tables.policies import KINDS
from .clock import utc_now
from .credentials import Caller
from .mail import MailService
from .public_address import public_base
from .runtime import Runtime

NOTICE_BUSINESS_DAYS = 30
BUILT_IN = {"privacy": ("Privacy policy", Path(__file__).resolve().parents[1] / "policy_texts" / "privacy-v1.md")}


def parse_holidays(text: str) -> frozenset[date]:
    try:
        return iso_dates(text)
    except ValueError as exc:
        raise InvalidInput(f"PROMPTWATCH_POLICY_HOLIDAYS: {exc}") from None


def add_business_days(start: date, days: int, holidays: frozenset[date]) -> date:
    """The date `days` business days after `start` (the start day itself does not count)."""
    current, left = start, days
    while left:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            left -= 1
    return current


def earliest_effective_date(announced: date, holidays: frozenset[date]) -> date:
    return add_business_days(announced, NOTICE_BUSINESS_DAYS, holidays)


class PolicyService:
    def __init__(self, runtime: Runtime, mail: MailService) -> None:
        self._rt = runtime
        self._mail = mail
        self._built_in_ready = False

    def _ensure_built_in(self, conn=None) -> None:
        """Store the shipped first versions once (in `conn`'s transaction, or in one of its own)."""
        if self._built_in_ready and conn is None:
            return
        if conn is None:
            with self._rt.engine.begin() as own:
                self._ensure_built_in(own)
            self._built_in_ready = True
            return
        for kind, (title, path) in BUILT_IN.items():
            policy_store.ensure_document(conn, kind, 1, title, path.read_text(), utc_now(), date(2026, 1, 1))

    def current(self) -> list[dict]:
        """The version in force of each document kind (public)."""
        today = utc_now().date()
        self._ensure_built_in()
        with self._rt.engine.connect() as conn:
            docs = policy_store.documents(conn)
        by_kind: dict[str, dict] = {}
        for doc in docs:
            if doc["effective_date"] <= today:
                by_kind[doc["kind"]] = _summary(doc)
        upcoming = [_summary(d) for d in docs if d["effective_date"] > today]
        return [*by_kind.values(), *upcoming]

    def document(self, kind: str, version: int | None = None) -> dict:
        if kind not in KINDS:
            raise NotFound(f"no policy {kind!r}")
        today = utc_now().date()
        self._ensure_built_in()
        with self._rt.engine.connect() as conn:
            docs = policy_store.documents(conn, kind)
        if version is None:
            docs = [d for d in docs if d["effective_date"] <= today]
        else:
            docs = [d for d in docs if d["version"] == version]
        if not docs:
            raise NotFound(f"no such version of {kind!r}")
        return {**_summary(docs[-1]), "body": docs[-1]["body"]}

    def announce(self, kind: str, title: str, body: str, effective_date: date) -> dict:
        if kind not in KINDS:
            raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
        now = utc_now()
        holidays = parse_holidays(self._rt.settings.policy_holidays)
        earliest = earliest_effective_date(now.date(), holidays)
        if effective_date < earliest:
            raise InvalidInput(
                f"a change needs {NOTICE_BUSINESS_DAYS} business days' notice: effective {earliest} at the earliest",
                field="effective_date",
                earliest=earliest.isoformat(),
            )
        with self._rt.engine.begin() as conn:
            self._ensure_built_in(conn)
            version = policy_store.latest_version(conn, kind) + 1
            document_id = policy_store.insert_document(
                conn,
                kind=kind,
                version=version,
                title=title,
                body=body,
                announced_at=now,
                effective_date=effective_date,
            )
            owners = policy_store.all_owner_emails(conn)
            url = f"{public_base(self._rt.settings)}/api/v1/policies/{kind}/versions/{version}"
            for email in owners:
                self._mail.enqueue(
                    conn,
                    "legal",
                    email,
                    f"Change of the PromptWatch {title} from {effective_date}",
                    f"We are changing our {title}. Version {version} takes effect on {effective_date}.\n\n"
                    f"Read it: {url}\n\nThis is a legal notice; it is sent regardless of your marketing choices.\n",
                )
        return {
            "id": document_id,
            "kind": kind,
            "version": version,
            "effective_date": effective_date,
            "announced_at": now,
            "notified_owners": len(owners),
        }

    def notices(self, caller: Caller) -> list[dict]:
        """Announced versions (not the shipped first ones) this user has not acknowledged: the UI's banner."""
        if caller.user_id is None:
            return []
        with self._rt.engine.connect() as conn:
            docs = policy_store.documents(conn)
            acknowledged = policy_store.acknowledged_ids(conn, caller.user_id)
        announced = [d for d in docs if not (d["kind"] in BUILT_IN and d["version"] == 1)]
        return [_summary(d) for d in announced if d["id"] not in acknowledged]

    def acknowledge(self, caller: Caller, document_id: int) -> dict:
        if caller.user_id is None:
            raise Forbidden("acknowledging belongs to a person: log in")
        now = utc_now()
        with self._rt.engine.begin() as conn:
            if policy_store.document(conn, document_id) is None:
                raise NotFound(f"no policy document {document_id}")
            policy_store.acknowledge(conn, caller.user_id, document_id, now)
        return {"document_id": document_id, "acknowledged": True}

    def acknowledgements(self, document_id: int) -> list[dict]:
        with self._rt.engine.connect() as conn:
            return [dict(r) for r in policy_store.acknowledgements(conn, document_id)]


def _summary(doc) -> dict:
    return {
        "id": doc["id"],
        "kind": doc["kind"],
        "version": doc["version"],
        "title": doc["title"],
        "announced_at": doc["announced_at"],
        "effective_date": doc["effective_date"],
    }
