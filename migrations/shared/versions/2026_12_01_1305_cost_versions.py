"""Shared schema: a version on the cost fiscal years and items the secretariat edits.

Approving, reopening and changing a year send back the version the page showed; a stale one is
refused (409). Existing rows start at version 1.

Revision ID: s0005_cost_versions
Revises: s0005_job_outbox
Create Date: 2026-12-01 13:05
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "s0005_cost_versions"
down_revision = "s0005_job_outbox"
branch_labels = None
depends_on = None

TABLES = ("cost_fiscal_years", "cost_items")


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
