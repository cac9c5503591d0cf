"""The body of both histories' env.py: run on the connection and schema the caller hands over."""

from __future__ import annotations

from alembic import context


def run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `kyodo` (it supplies the connection and the schema)")
    context.configure(
        connection=connection,
        target_metadata=config.attributes["metadata"],
        version_table_schema=config.attributes["schema"],
        transactional_ddl=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
