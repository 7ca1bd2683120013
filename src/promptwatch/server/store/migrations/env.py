"""Alembic environment: the connection is handed in by `schema_version.upgrade`."""

from alembic import context

from promptwatch.server.store.tables import (  # noqa: F401  # noqa: F401  # noqa: F401  # noqa: F401
    access_log,
    accounts,
    activities,
    annotations,
    billing,
    credentials,
    lifecycle,
    mail,
    members,
    metadata,
    people,
    policies,
    prompt_cache,
    redaction,
    replays,
    sessions,
    sharing,
    support_access,
    templates,
    unit_tests,
    usage,
    usage_stats,
)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `promptwatch db upgrade`")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
