"""Tenant schema: seal registrations (印鑑登録), their events and number sequences.

Revision ID: t0004_seals
Revises: t0003_residents
Create Date: 2026-11-23 16:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t0004_seals"
down_revision = "t0003_residents"
branch_labels = None
depends_on = None


def _ref(schema: str | None, column: str) -> str:
    return f"{schema}.{column}" if schema else column


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "seal_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_no", sa.String(20), nullable=False),
        sa.Column("card_no", sa.String(20), nullable=False),
        sa.Column("atena_no", sa.Integer(), nullable=False),
        sa.Column("registered_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("image_mime", sa.String(20), nullable=False),
        sa.Column("image_sha256", sa.String(64), nullable=False),
        sa.Column("image_width", sa.Integer(), nullable=False),
        sa.Column("image_height", sa.Integer(), nullable=False),
        sa.Column("registered_by", sa.String(120), nullable=False),
        sa.Column("lost_on", sa.Date(), nullable=True),
        sa.Column("lost_reason", sa.String(300), nullable=False),
        sa.Column("abolished_on", sa.Date(), nullable=True),
        sa.Column("abolished_reason", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_seal_registrations"),
        sa.UniqueConstraint("registration_no", name="uq_seal_registrations_registration_no"),
        sa.UniqueConstraint("card_no", name="uq_seal_registrations_card_no"),
        schema=schema,
    )
    op.create_index("ix_seal_registrations_atena_no", "seal_registrations", ["atena_no"], schema=schema)
    op.create_table(
        "seal_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            [_ref(schema, "seal_registrations.id")],
            name="fk_seal_events_registration_id_seal_registrations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_seal_events"),
        schema=schema,
    )
    op.create_index("ix_seal_events_registration_id", "seal_events", ["registration_id"], schema=schema)
    op.create_table(
        "seal_counters",
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_seal_counters"),
        schema=schema,
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_table("seal_counters", schema=schema)
    op.drop_table("seal_events", schema=schema)
    op.drop_table("seal_registrations", schema=schema)
