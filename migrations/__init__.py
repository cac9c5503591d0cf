"""Alembic histories: ``shared/`` for the shared schema, ``tenant/`` for every tenant schema."""
