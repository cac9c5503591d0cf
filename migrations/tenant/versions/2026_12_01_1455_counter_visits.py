"""Tenant schema: the clerk's visits at the counter (窓口対応), the person every module offers first.

Revision ID: t1455_counter_visits
Revises: t1450_certificate_pdfs
Create Date: 2026-12-01 14:40
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t1455_counter_visits"
down_revision = "t1450_certificate_pdfs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "counter_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("atena_no", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_counter_visits"),
        schema=schema,
    )
    op.create_index(
        "ix_counter_visits_user_id_opened_at", "counter_visits", ["user_id", "opened_at"], schema=schema
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_index("ix_counter_visits_user_id_opened_at", table_name="counter_visits", schema=schema)
    op.drop_table("counter_visits", schema=schema)
