"""Shared schema: the actual cost of an item, and the approved billing and settlement of a fiscal year.

Revision ID: s1490_cost_settlement
Revises: s1490_cost_currency
Create Date: 2026-12-01 17:20
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "s1490_cost_settlement"
down_revision = "s1490_cost_currency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.add_column("cost_items", sa.Column("actual_amount", sa.BigInteger(), nullable=True), schema=schema)
    op.create_table(
        "cost_settlement_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("approved_by", sa.String(120), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fiscal_year_id"],
            [f"{schema}.cost_fiscal_years.id" if schema else "cost_fiscal_years.id"],
            name="fk_cost_settlement_steps_fiscal_year_id_cost_fiscal_years",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_settlement_steps"),
        sa.UniqueConstraint("fiscal_year_id", "kind", name="uq_cost_settlement_steps_fiscal_year_id_kind"),
        schema=schema,
    )
    op.create_index(
        "ix_cost_settlement_steps_fiscal_year_id", "cost_settlement_steps", ["fiscal_year_id"], schema=schema
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_table("cost_settlement_steps", schema=schema)
    op.drop_column("cost_items", "actual_amount", schema=schema)
