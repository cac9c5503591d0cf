"""What a migration script needs to know about the schema it is running in."""

from __future__ import annotations

from alembic import op


def target_schema() -> str | None:
    """The real schema this run migrates (``shared``, ``t_<slug>``; None for SQLite's main file).

    Alembic's ALTER operations ignore ``schema_translate_map``, so scripts pass this explicitly.
    """
    return op.get_context().config.attributes["schema"]
