"""Shared schema: usage measured by the platform per city and month, and the revisions of a count.

Revision ID: s1490_cost_usage
Revises: s0005_cost_versions
Create Date: 2026-12-01 17:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "s1490_cost_usage"
down_revision = "s0005_cost_versions"
branch_labels = None
depends_on = None


def _ref(schema: str | None, table: str) -> str:
    return f"{schema}.{table}.id" if schema else f"{table}.id"


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "cost_usage_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("counter", sa.String(40), nullable=False),
        sa.Column("measured", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("revised", sa.Boolean(), nullable=False),
        sa.Column("collected_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            [_ref(schema, "tenants")],
            name="fk_cost_usage_counts_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_usage_counts"),
        sa.UniqueConstraint(
            "tenant_id", "year", "month", "counter", name="uq_cost_usage_counts_tenant_id_year_month_counter"
        ),
        schema=schema,
    )
    op.create_index("ix_cost_usage_counts_tenant_id", "cost_usage_counts", ["tenant_id"], schema=schema)
    op.create_index("ix_cost_usage_counts_year_month", "cost_usage_counts", ["year", "month"], schema=schema)
    op.create_table(
        "cost_usage_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_id", sa.Integer(), nullable=False),
        sa.Column("old_value", sa.BigInteger(), nullable=False),
        sa.Column("new_value", sa.BigInteger(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("revised_by", sa.String(120), nullable=False),
        sa.Column("revised_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["count_id"],
            [_ref(schema, "cost_usage_counts")],
            name="fk_cost_usage_revisions_count_id_cost_usage_counts",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_usage_revisions"),
        schema=schema,
    )
    op.create_index("ix_cost_usage_revisions_count_id", "cost_usage_revisions", ["count_id"], schema=schema)


def downgrade() -> None:
    schema = target_schema()
    op.drop_table("cost_usage_revisions", schema=schema)
    op.drop_table("cost_usage_counts", schema=schema)
