"""Redaction rules per account ("" project) and per project."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

from .tables.accounts import projects
from .tables.redaction import redaction_rules
from .tables.sessions import sessions


def rules_of(conn: Connection, account_id: int) -> dict[str, dict]:
    query = select(redaction_rules.c.project, redaction_rules.c.config).where(
        redaction_rules.c.account_id == account_id
    )
    return {project: config for project, config in conn.execute(query)}


def save_rule(conn: Connection, account_id: int, project: str, config: dict, now: datetime) -> None:
    where = (redaction_rules.c.account_id == account_id, redaction_rules.c.project == project)
    changed = conn.execute(update(redaction_rules).where(*where).values(config=config, updated_at=now)).rowcount
    if not changed:
        conn.execute(
            insert(redaction_rules).values(account_id=account_id, project=project, config=config, updated_at=now)
        )


def delete_rule(conn: Connection, account_id: int, project: str) -> bool:
    where = (redaction_rules.c.account_id == account_id, redaction_rules.c.project == project)
    return conn.execute(delete(redaction_rules).where(*where)).rowcount > 0


def projects_of_sessions(conn: Connection, account_id: int, session_ids: list[str]) -> dict[str, str | None]:
    """The project name of each stored session among `session_ids`."""
    query = (
        select(sessions.c.id, projects.c.name)
        .outerjoin(projects, projects.c.id == sessions.c.project_id)
        .where(sessions.c.account_id == account_id, sessions.c.id.in_(session_ids))
    )
    return {sid: name for sid, name in conn.execute(query)}
