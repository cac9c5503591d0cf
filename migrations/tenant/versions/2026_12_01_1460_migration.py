"""Tenant schema: data migration runs (移行テスト and the cut-over), the city's 外字 table, and the layout's
items of a person that the register does not hold.

Revision ID: t1460_migration
Revises: t1455_counter_visits
Create Date: 2026-12-01 14:60 (ordered after 14:20)
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t1460_migration"
down_revision = "t1455_counter_visits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "migration_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("seals_sha256", sa.String(length=64), nullable=False),
        sa.Column("encoding", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("by", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("duration_s", sa.Double(), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_valid", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("control", sa.JSON(), nullable=False),
        sa.Column("accept_partial", sa.Boolean(), nullable=False),
        sa.Column("applied_through", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("corrected", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("seals_added", sa.Integer(), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=False),
        sa.Column("sample_mismatches", sa.Integer(), nullable=True),
        sa.Column("signed_off_by", sa.String(length=120), nullable=False),
        sa.Column("signed_off_at", sa.DateTime(), nullable=True),
        sa.Column("override_reason", sa.String(length=500), nullable=False),
        sa.Column("report_dir", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_migration_runs"),
        schema=schema,
    )
    op.create_index("ix_migration_runs_sha256", "migration_runs", ["sha256"], schema=schema)
    op.create_table(
        "gaiji_entries",
        sa.Column("code_point", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("glyph", sa.LargeBinary(), nullable=True),
        sa.Column("glyph_mime", sa.String(length=20), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("code_point", name="pk_gaiji_entries"),
        schema=schema,
    )
    op.create_table(
        "migration_person_extras",
        sa.Column("atena_no", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("atena_no", name="pk_migration_person_extras"),
        schema=schema,
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_table("migration_person_extras", schema=schema)
    op.drop_table("gaiji_entries", schema=schema)
    op.drop_index("ix_migration_runs_sha256", table_name="migration_runs", schema=schema)
    op.drop_table("migration_runs", schema=schema)
