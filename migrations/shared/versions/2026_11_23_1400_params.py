"""Parameter layer: declared parameters' values per consortium and city, effective-dated (filled in by the parameter work).

Revision ID: s0003_params
Revises: s0002_accounts
Create Date: 2026-11-23 14:00
"""

from migrations.schema import target_schema

revision = "s0003_params"
down_revision = "s0002_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    target_schema()


def downgrade() -> None:
    target_schema()
