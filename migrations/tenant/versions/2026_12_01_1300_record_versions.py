"""Tenant schema: a version on every record staff edit (persons, households, seal registrations).

Two staff editing the same record: the form sends back the version it showed, and a stale one is
refused (409) instead of overwriting the other's work. Existing rows start at version 1.

Revision ID: t0007_record_versions
Revises: t1000_access_log_sealing
Create Date: 2026-12-01 13:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t0007_record_versions"
down_revision = "t1000_access_log_sealing"
branch_labels = None
depends_on = None

TABLES = ("persons", "households", "seal_registrations")


def upgrade() -> None:
    schema = target_schema()
    for table in TABLES:
        op.add_column(
            table, sa.Column("version", sa.Integer(), nullable=False, server_default="1"), schema=schema
        )


def downgrade() -> None:
    schema = target_schema()
    for table in TABLES:
        op.drop_column(table, "version", schema=schema)
