"""Tenant schema: the signed PDF of each certificate as issued, its signer, 交付取消 and 再交付.

Revision ID: t1450_certificate_pdfs
Revises: t1430_event_cancellation
Create Date: 2026-12-01 14:50
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t1450_certificate_pdfs"
down_revision = "t1430_event_cancellation"
branch_labels = None
depends_on = None

TABLE = "certificate_issuances"
COLUMNS = (
    ("pdf", sa.LargeBinary(), {}),
    ("pdf_encrypted", sa.Boolean(), {"server_default": sa.false()}),
    ("signer", sa.String(length=300), {}),
    ("cancelled_at", sa.DateTime(), {}),
    ("cancelled_by", sa.String(length=120), {}),
    ("cancel_reason", sa.String(length=300), {}),
    ("reissue_of", sa.String(length=20), {}),
    ("version", sa.Integer(), {"server_default": "1"}),
)


def upgrade() -> None:
    schema = target_schema()
    for name, type_, extra in COLUMNS:
        nullable = "server_default" not in extra
        op.add_column(TABLE, sa.Column(name, type_, nullable=nullable, **extra), schema=schema)


def downgrade() -> None:
    schema = target_schema()
    for name, _type, _extra in reversed(COLUMNS):
        op.drop_column(TABLE, name, schema=schema)
