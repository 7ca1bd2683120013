"""Alembic environment: the connection is handed in by `schema_version.upgrade`."""

from alembic import context

from promptwatch.server.store.tables import load_all

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `promptwatch db upgrade`")
context.configure(connection=connection, target_metadata=load_all(), render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
