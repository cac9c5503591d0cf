"""Tenant schema: 支援措置 (DV等支援措置) and 抑止, the persons each covers and their history.

Revision ID: t1400_support_measures
Revises: t0007_record_versions
Create Date: 2026-12-01 14:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t1400_support_measures"
down_revision = "t0007_record_versions"
branch_labels = None
depends_on = None


def _ref(schema: str | None, column: str) -> str:
    return f"{schema}.{column}" if schema else column


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "support_measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("atena_no", sa.Integer(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("offender_name", sa.String(200), nullable=False),
        sa.Column("offender_kana", sa.String(200), nullable=False),
        sa.Column("offender_city_code", sa.String(6), nullable=True),
        sa.Column("offender_atena_no", sa.BigInteger(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(500), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("ended_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("id", name="pk_support_measures"),
        schema=schema,
    )
    op.create_index("ix_support_measures_atena_no", "support_measures", ["atena_no"], schema=schema)
    op.create_index("ix_support_measures_end_on", "support_measures", ["end_on"], schema=schema)
    op.create_table(
        "support_measure_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("atena_no", sa.Integer(), nullable=False),
        sa.Column("companion", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            [_ref(schema, "support_measures.id")],
            name="fk_support_measure_targets_measure_id_support_measures",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_support_measure_targets"),
        sa.UniqueConstraint("measure_id", "atena_no", name="uq_support_measure_targets"),
        schema=schema,
    )
    op.create_index(
        "ix_support_measure_targets_atena_no", "support_measure_targets", ["atena_no"], schema=schema
    )
    op.create_table(
        "support_measure_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("old_end_on", sa.Date(), nullable=True),
        sa.Column("new_end_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("by", sa.String(120), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            [_ref(schema, "support_measures.id")],
            name="fk_support_measure_changes_measure_id_support_measures",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_support_measure_changes"),
        schema=schema,
    )
    op.create_index(
        "ix_support_measure_changes_measure_id", "support_measure_changes", ["measure_id"], schema=schema
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_table("support_measure_changes", schema=schema)
    op.drop_table("support_measure_targets", schema=schema)
    op.drop_table("support_measures", schema=schema)
