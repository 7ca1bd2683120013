"""Reading and writing one-time action tokens, leads, referral codes and referrals, the few changes
sign-up and password reset make to a user, and the erasure of a user with everything that names them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, func, insert, select, update

from .tables.accounts import memberships, users
from .tables.credentials import login_tokens
from .tables.mail import contact_preferences, outbox
from .tables.members import invitations
from .tables.people import action_tokens, leads, referral_codes, referrals


def insert_action_token(conn: Connection, **values) -> None:
    conn.execute(insert(action_tokens).values(**values))


def use_action_token(conn: Connection, token_hash: str, purpose: str, now: datetime) -> RowMapping | None:
    """Mark an unused, unexpired token used and return it; None when there is no such token."""
    used = conn.execute(
        update(action_tokens)
        .where(
            action_tokens.c.token_hash == token_hash,
            action_tokens.c.purpose == purpose,
            action_tokens.c.used_at.is_(None),
            action_tokens.c.expires_at > now,
        )
        .values(used_at=now)
    )
    if used.rowcount != 1:
        return None
    return conn.execute(select(action_tokens).where(action_tokens.c.token_hash == token_hash)).mappings().first()


def purge_action_tokens(conn: Connection, now: datetime) -> int:
    return conn.execute(delete(action_tokens).where(action_tokens.c.expires_at <= now)).rowcount


def set_password_hash(conn: Connection, user_id: int, password_hash: str | None) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))
    conn.execute(delete(login_tokens).where(login_tokens.c.user_id == user_id))


# leads (P8)
def upsert_lead(conn: Connection, email: str, now: datetime, **values) -> None:
    existing = find_lead(conn, email)
    if existing is None:
        conn.execute(insert(leads).values(email=email.lower(), created_at=now, **values))
    elif existing["status"] != "customer":
        conn.execute(update(leads).where(leads.c.id == existing["id"]).values(**values))


def find_lead(conn: Connection, email: str) -> RowMapping | None:
    return conn.execute(select(leads).where(leads.c.email == email.lower())).mappings().first()


def opt_out_lead(conn: Connection, email: str, now: datetime) -> bool:
    result = conn.execute(
        update(leads)
        .where(leads.c.email == email.lower(), leads.c.status == "waitlist")
        .values(status="opted_out", opted_out_at=now)
    )
    return result.rowcount > 0


def lead_became_customer(conn: Connection, email: str, user_id: int, now: datetime) -> bool:
    result = conn.execute(
        update(leads)
        .where(leads.c.email == email.lower())
        .values(status="customer", user_id=user_id, became_customer_at=now)
    )
    return result.rowcount > 0


def list_leads(conn: Connection, status: str | None, limit: int) -> list[RowMapping]:
    query = select(leads)
    if status:
        query = query.where(leads.c.status == status)
    return list(conn.execute(query.order_by(leads.c.id.desc()).limit(limit)).mappings())


# referrals (P12)
def insert_referral_code(conn: Connection, code: str, user_id: int, now: datetime) -> None:
    conn.execute(insert(referral_codes).values(code=code, user_id=user_id, created_at=now))


def find_referral_code(conn: Connection, code: str) -> RowMapping | None:
    return (
        conn.execute(select(referral_codes).where(referral_codes.c.code == code, referral_codes.c.revoked_at.is_(None)))
        .mappings()
        .first()
    )


def codes_of(conn: Connection, user_id: int) -> list[RowMapping]:
    query = select(referral_codes).where(referral_codes.c.user_id == user_id).order_by(referral_codes.c.created_at)
    return list(conn.execute(query).mappings())


def record_referral(conn: Connection, code: str, inviter: int, referred: int, now: datetime) -> None:
    conn.execute(
        insert(referrals).values(code=code, inviter_user_id=inviter, referred_user_id=referred, created_at=now)
    )


def referrals_of(conn: Connection, inviter: int) -> list[RowMapping]:
    query = (
        select(referrals.c.code, referrals.c.created_at, referrals.c.referred_user_id, users.c.email)
        .join(users, users.c.id == referrals.c.referred_user_id)
        .where(referrals.c.inviter_user_id == inviter)
        .order_by(referrals.c.created_at)
    )
    return list(conn.execute(query).mappings())


def referral_counts(conn: Connection) -> list[RowMapping]:
    query = (
        select(referrals.c.inviter_user_id, users.c.email, func.count().label("referrals"))
        .join(users, users.c.id == referrals.c.inviter_user_id)
        .group_by(referrals.c.inviter_user_id, users.c.email)
        .order_by(func.count().desc())
    )
    return list(conn.execute(query).mappings())


def active_user_emails(conn: Connection) -> list[str]:
    return list(conn.execute(select(users.c.email).where(users.c.disabled.is_(False))).scalars())


# erasure of a person (P18)
def users_only_in(conn: Connection, account_id: int) -> list[RowMapping]:
    """Users (id, email) whose every membership is in this account and who hold no instance role: the people
    who go with the account."""
    elsewhere = select(memberships.c.user_id).where(memberships.c.account_id != account_id)
    query = (
        select(users.c.id, users.c.email)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(
            memberships.c.account_id == account_id,
            users.c.instance_role.is_(None),
            users.c.id.not_in(elsewhere),
        )
        .order_by(users.c.id)
    )
    return list(conn.execute(query).mappings())


def erase_user(conn: Connection, user_id: int) -> dict[str, int]:
    """The user row and everything that names the person: their mail in the outbox (queued or sent),
    invitations to their address in any account, sign-up and reset tokens, contact preferences and lead;
    their log-in tokens, memberships, referral codes and policy acknowledgements go with the row (foreign keys
    cascade). Nothing when the user is gone already."""
    email = conn.execute(select(users.c.email).where(users.c.id == user_id)).scalar()
    if email is None:
        return {}
    address = email.lower()
    statements = {
        "outbox": delete(outbox).where(func.lower(outbox.c.recipient) == address),
        "invitations": delete(invitations).where(func.lower(invitations.c.email) == address),
        "action_tokens": delete(action_tokens).where(
            (action_tokens.c.user_id == user_id) | (func.lower(action_tokens.c.email) == address)
        ),
        "contact_preferences": delete(contact_preferences).where(contact_preferences.c.email == address),
        "leads": delete(leads).where(leads.c.email == address),
        "login_tokens": delete(login_tokens).where(login_tokens.c.user_id == user_id),
    }
    counts = {name: conn.execute(statement).rowcount for name, statement in statements.items()}
    counts["users"] = conn.execute(delete(users).where(users.c.id == user_id)).rowcount
    return counts
