"""Reading and writing the outbox, contact preferences and the shared rate-limit windows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from .dialect import insert_for
from .tables.mail import contact_preferences, outbox, rate_limits


def enqueue(conn: Connection, category: str, recipient: str, subject: str, body: str, now: datetime) -> int:
    return conn.execute(
        insert(outbox)
        .values(
            category=category,
            recipient=recipient,
            subject=subject,
            body=body,
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .returning(outbox.c.id)
    ).scalar_one()


def claim_due(conn: Connection, now: datetime, lease_until: datetime, limit: int) -> list[RowMapping]:
    """Claim due messages by moving their next attempt to `lease_until` (a write first, so SQLite takes its
    write lock at once); a message whose sender died is picked up again when the lease ends."""
    due = (
        select(outbox.c.id)
        .where(outbox.c.status == "queued", outbox.c.next_attempt_at <= now)
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    conn.execute(update(outbox).where(outbox.c.id.in_(due.scalar_subquery())).values(next_attempt_at=lease_until))
    claimed = select(outbox).where(outbox.c.status == "queued", outbox.c.next_attempt_at == lease_until)
    return list(conn.execute(claimed.order_by(outbox.c.id)).mappings())


def finish(conn: Connection, message_id: int, status: str, now: datetime, error: str | None = None) -> None:
    """Sent, suppressed or failed: the body goes (it may hold one-time links); the record stays."""
    conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(status=status, body=None, finished_at=now, last_error=error, attempts=outbox.c.attempts + 1)
    )


def retry_later(conn: Connection, message_id: int, when: datetime, error: str) -> None:
    conn.execute(
        update(outbox)
        .where(outbox.c.id == message_id)
        .values(attempts=outbox.c.attempts + 1, next_attempt_at=when, last_error=error[:500])
    )


def list_messages(conn: Connection, status: str | None, limit: int) -> list[RowMapping]:
    query = select(
        outbox.c.id,
        outbox.c.category,
        outbox.c.recipient,
        outbox.c.subject,
        outbox.c.status,
        outbox.c.attempts,
        outbox.c.last_error,
        outbox.c.created_at,
        outbox.c.finished_at,
    )
    if status:
        query = query.where(outbox.c.status == status)
    return list(conn.execute(query.order_by(outbox.c.id.desc()).limit(limit)).mappings())


def count_by_status(conn: Connection) -> dict[str, int]:
    rows = conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status))
    return {status: count for status, count in rows}


def get_preferences(conn: Connection, email: str) -> RowMapping | None:
    return (
        conn.execute(select(contact_preferences).where(contact_preferences.c.email == email.lower())).mappings().first()
    )


def set_preferences(conn: Connection, email: str, now: datetime, **choices: bool) -> None:
    current = get_preferences(conn, email)
    values = {"product_news": True, "promotions": True, **(dict(current) if current else {}), **choices}
    values.update(email=email.lower(), updated_at=now)
    statement = insert_for(conn, contact_preferences).values(**values)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["email"],
            set_={k: statement.excluded[k] for k in ("product_news", "promotions", "updated_at")},
        )
    )


def hit_rate_limit(conn: Connection, bucket: str, window_ends_at: datetime, now: datetime) -> int:
    """Count one hit in the bucket's window and return the hits so far (shared by every worker)."""
    conn.execute(delete(rate_limits).where(rate_limits.c.window_ends_at <= now))
    statement = insert_for(conn, rate_limits).values(bucket=bucket, hits=1, window_ends_at=window_ends_at)
    conn.execute(statement.on_conflict_do_update(index_elements=["bucket"], set_={"hits": rate_limits.c.hits + 1}))
    return conn.execute(select(rate_limits.c.hits).where(rate_limits.c.bucket == bucket)).scalar_one()


def take_back_rate_limit_hit(conn: Connection, bucket: str) -> None:
    """Uncount one hit of the bucket (an attempt that turned out not to count, such as a right password)."""
    conn.execute(update(rate_limits).where(rate_limits.c.bucket == bucket).values(hits=rate_limits.c.hits - 1))


def release(conn: Connection, message_id: int, when: datetime) -> None:
    conn.execute(update(outbox).where(outbox.c.id == message_id).values(next_attempt_at=when))
