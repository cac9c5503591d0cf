"""Tenant schema: certificate issuance register (交付簿) and its number sequences.

Revision ID: t0005_certificates
Revises: t0004_seals
Create Date: 2026-11-23 17:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t0005_certificates"
down_revision = "t0004_seals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "certificate_issuances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("atena_no", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(12), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("persons", sa.JSON(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("fee", sa.Integer(), nullable=False),
        sa.Column("requester_name", sa.String(100), nullable=False),
        sa.Column("requester_relation", sa.String(20), nullable=False),
        sa.Column("purpose", sa.String(300), nullable=False),
        sa.Column("mynumber_condition", sa.String(300), nullable=True),
        sa.Column("verification_code", sa.String(20), nullable=False),
        sa.Column("issued_by", sa.String(120), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("seal_image", sa.LargeBinary(), nullable=True),
        sa.Column("seal_image_mime", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_certificate_issuances"),
        sa.UniqueConstraint("number", name="uq_certificate_issuances_number"),
        sa.UniqueConstraint("fiscal_year", "serial", name="uq_certificate_issuances_fiscal_year_serial"),
        schema=schema,
    )
    op.create_index(
        "ix_certificate_issuances_issued_on", "certificate_issuances", ["issued_on"], schema=schema
    )
    op.create_index("ix_certificate_issuances_atena_no", "certificate_issuances", ["atena_no"], schema=schema)
    op.create_table(
        "certificate_counters",
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_certificate_counters"),
        schema=schema,
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_table("certificate_counters", schema=schema)
    op.drop_index("ix_certificate_issuances_atena_no", "certificate_issuances", schema=schema)
    op.drop_index("ix_certificate_issuances_issued_on", "certificate_issuances", schema=schema)
    op.drop_table("certificate_issuances", schema=schema)
