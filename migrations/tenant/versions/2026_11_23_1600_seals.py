"""Tenant schema: seal registrations (filled in by the seal registration work).

Revision ID: t0004_seals
Revises: t0003_residents
Create Date: 2026-11-23 16:00
"""

from migrations.schema import target_schema

revision = "t0004_seals"
down_revision = "t0003_residents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    target_schema()


def downgrade() -> None:
    target_schema()
