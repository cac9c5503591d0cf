"""Shared schema: cost items in a foreign currency, and a year's exchange rates and rate scenarios.

Revision ID: s1490_cost_currency
Revises: s1490_cost_usage
Create Date: 2026-12-01 17:10
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "s1490_cost_currency"
down_revision = "s1490_cost_usage"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.add_column("cost_fiscal_years", sa.Column("rates", sa.JSON(), nullable=True), schema=schema)
    op.add_column("cost_fiscal_years", sa.Column("rate_scenarios", sa.JSON(), nullable=True), schema=schema)
    op.add_column("cost_items", sa.Column("currency", sa.String(3), nullable=True), schema=schema)
    op.add_column("cost_items", sa.Column("foreign_amount", sa.Numeric(20, 4), nullable=True), schema=schema)
    op.add_column("cost_items", sa.Column("paid_rate", sa.Numeric(12, 4), nullable=True), schema=schema)


def downgrade() -> None:
    schema = target_schema()
    for column in ("paid_rate", "foreign_amount", "currency"):
        op.drop_column("cost_items", column, schema=schema)
    for column in ("rate_scenarios", "rates"):
        op.drop_column("cost_fiscal_years", column, schema=schema)
