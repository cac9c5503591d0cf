"""Tenant schema: portal notices.

Revision ID: t0001_notices
Revises:
Create Date: 2026-11-23 11:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t0001_notices"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("publish_on", sa.Date(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_notices"),
        schema=schema,
    )
    op.create_index("ix_notices_publish_on", "notices", ["publish_on"], schema=schema)


def downgrade() -> None:
    schema = target_schema()
    op.drop_table("notices", schema=schema)
