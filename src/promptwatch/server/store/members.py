"""Memberships beyond their row: roles, owners, project limits, removal, and invitations of new members."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, RowMapping, delete, exists, func, insert, select, update

from .tables.accounts import accounts, memberships, projects, users
from .tables.members import invitations, membership_projects


def membership(conn: Connection, account_id: int, user_id: int) -> RowMapping | None:
    query = select(memberships).where(memberships.c.account_id == account_id, memberships.c.user_id == user_id)
    return conn.execute(query).mappings().first()


def count_owners(conn: Connection, account_id: int) -> int:
    query = select(func.count()).where(memberships.c.account_id == account_id, memberships.c.role == "owner")
    return conn.execute(query.select_from(memberships)).scalar_one()


def standard_accounts_without_owner(conn: Connection) -> list[int]:
    """Ids of the standard accounts (not deleted, not sandboxes) that no member owns."""
    owned = exists().where(memberships.c.account_id == accounts.c.id, memberships.c.role == "owner")
    query = select(accounts.c.id).where(accounts.c.kind == "standard", ~owned).order_by(accounts.c.id)
    return list(conn.execute(query).scalars())


def set_role(conn: Connection, account_id: int, user_id: int, role: str) -> None:
    conn.execute(
        update(memberships)
        .where(memberships.c.account_id == account_id, memberships.c.user_id == user_id)
        .values(role=role)
    )


def remove_membership(conn: Connection, account_id: int, user_id: int) -> None:
    conn.execute(
        delete(membership_projects).where(
            membership_projects.c.account_id == account_id, membership_projects.c.user_id == user_id
        )
    )
    conn.execute(delete(memberships).where(memberships.c.account_id == account_id, memberships.c.user_id == user_id))


def project_limits(conn: Connection, account_id: int, user_id: int) -> list[str]:
    """Names of the projects a membership is limited to; empty: the whole account."""
    query = (
        select(projects.c.name)
        .join(membership_projects, membership_projects.c.project_id == projects.c.id)
        .where(membership_projects.c.account_id == account_id, membership_projects.c.user_id == user_id)
        .order_by(projects.c.name)
    )
    return list(conn.execute(query).scalars())


def project_limits_of_account(conn: Connection, account_id: int) -> dict[int, list[str]]:
    query = (
        select(membership_projects.c.user_id, projects.c.name)
        .join(projects, projects.c.id == membership_projects.c.project_id)
        .where(membership_projects.c.account_id == account_id)
        .order_by(projects.c.name)
    )
    out: dict[int, list[str]] = {}
    for user_id, name in conn.execute(query):
        out.setdefault(user_id, []).append(name)
    return out


def set_project_limits(conn: Connection, account_id: int, user_id: int, project_ids: list[int]) -> None:
    conn.execute(
        delete(membership_projects).where(
            membership_projects.c.account_id == account_id, membership_projects.c.user_id == user_id
        )
    )
    if project_ids:
        conn.execute(
            insert(membership_projects),
            [{"account_id": account_id, "user_id": user_id, "project_id": pid} for pid in sorted(set(project_ids))],
        )


def insert_invitation(conn: Connection, **values) -> int:
    return conn.execute(insert(invitations).values(**values).returning(invitations.c.id)).scalar_one()


_INVITATION_COLUMNS = (
    invitations.c.id,
    invitations.c.email,
    invitations.c.role,
    invitations.c.projects,
    invitations.c.created_at,
    invitations.c.expires_at,
    invitations.c.accepted_at,
    invitations.c.revoked_at,
    users.c.email.label("invited_by"),
)


def list_invitations(conn: Connection, account_id: int) -> list[RowMapping]:
    query = (
        select(*_INVITATION_COLUMNS)
        .outerjoin(users, users.c.id == invitations.c.invited_by)
        .where(invitations.c.account_id == account_id)
        .order_by(invitations.c.created_at.desc(), invitations.c.id.desc())
    )
    return list(conn.execute(query).mappings())


def find_invitation(conn: Connection, token_hash: str) -> RowMapping | None:
    return conn.execute(select(invitations).where(invitations.c.token_hash == token_hash)).mappings().first()


def revoke_invitation(conn: Connection, account_id: int, invitation_id: int, now: datetime) -> bool:
    result = conn.execute(
        update(invitations)
        .where(
            invitations.c.account_id == account_id,
            invitations.c.id == invitation_id,
            invitations.c.revoked_at.is_(None),
            invitations.c.accepted_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return result.rowcount > 0


def mark_accepted(conn: Connection, invitation_id: int, user_id: int, now: datetime) -> bool:
    """Only one acceptance wins: the update is conditional on the invitation still being open."""
    result = conn.execute(
        update(invitations)
        .where(
            invitations.c.id == invitation_id, invitations.c.accepted_at.is_(None), invitations.c.revoked_at.is_(None)
        )
        .values(accepted_at=now, accepted_by=user_id)
    )
    return result.rowcount > 0
