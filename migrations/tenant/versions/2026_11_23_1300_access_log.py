"""Tenant schema: the city's access log (操作ログ) and its chain head.

Revision ID: t0002_access_log
Revises: t0001_notices
Create Date: 2026-11-23 13:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t0002_access_log"
down_revision = "t0001_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "access_log",
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("operator", sa.String(120), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False),
        sa.Column("function", sa.String(60), nullable=False),
        sa.Column("screen", sa.String(120), nullable=False),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("search_shape", sa.JSON(), nullable=True),
        sa.Column("mynumber_shown", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_access_log"),
        schema=schema,
    )
    op.create_index("ix_access_log_at", "access_log", ["at"], schema=schema)
    op.create_index("ix_access_log_operator", "access_log", ["operator"], schema=schema)
    head = op.create_table(
        "access_log_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("base_seq", sa.Integer(), nullable=False),
        sa.Column("base_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_log_head"),
        schema=schema,
    )
    # The chain starts here; appending only ever updates this row, so writers never race to create it.
    op.bulk_insert(
        head, [{"id": 1, "last_seq": 0, "last_hash": "0" * 64, "base_seq": 0, "base_hash": "0" * 64}]
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_table("access_log_head", schema=schema)
    op.drop_table("access_log", schema=schema)
