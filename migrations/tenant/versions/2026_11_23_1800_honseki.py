"""Tenant schema: the 本籍 and 筆頭者 of a resident (both optional: a 外国人住民 has none).

Revision ID: t0006_honseki
Revises: t0005_certificates
Create Date: 2026-11-23 18:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t0006_honseki"
down_revision = "t0005_certificates"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.add_column("persons", sa.Column("honseki", sa.String(200), nullable=True), schema=schema)
    op.add_column("persons", sa.Column("hitto_sha", sa.String(100), nullable=True), schema=schema)


def downgrade() -> None:
    schema = target_schema()
    op.drop_column("persons", "hitto_sha", schema=schema)
    op.drop_column("persons", "honseki", schema=schema)
