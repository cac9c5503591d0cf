"""Tenant schema: certificate issuance register (filled in by the certificate work).

Revision ID: t0005_certificates
Revises: t0004_seals
Create Date: 2026-11-23 17:00
"""

from migrations.schema import target_schema

revision = "t0005_certificates"
down_revision = "t0004_seals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    target_schema()


def downgrade() -> None:
    target_schema()
