"""Tenant schema: 軽自動車税 vehicles sold with 所有権留保 (the buyer, not the seller, is taxed).

Revision ID: t1490_owner_retained_title
Revises: t1480_keitax_printing
Create Date: 2026-12-01 18:40
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t1490_owner_retained_title"
down_revision = "t1480_keitax_printing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "keitax_vehicles",
        sa.Column("retained_title", sa.Boolean(), server_default=sa.false(), nullable=False),
        schema=target_schema(),
    )


def downgrade() -> None:
    op.drop_column("keitax_vehicles", "retained_title", schema=target_schema())
