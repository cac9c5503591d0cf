"""Core shared tables: consortia, tenants, job records.

Revision ID: s0001_core
Revises:
Create Date: 2026-11-23 11:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "s0001_core"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "consortia",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consortia"),
        sa.UniqueConstraint("slug", name="uq_consortia_slug"),
        schema=schema,
    )
    op.create_table(
        "tenants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=True),
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("population_as_of", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("active", "suspended", "archived", name="tenantstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("consortium_id", sa.Integer(), nullable=False),
        sa.Column("modules", sa.JSON(), nullable=False),
        sa.Column("schema_revision", sa.String(64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consortium_id"],
            [f"{schema}.consortia.id" if schema else "consortia.id"],
            name="fk_tenants_consortium_id_consortia",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        sa.UniqueConstraint("code", name="uq_tenants_code"),
        sa.UniqueConstraint("slug", name="uq_tenants_slug"),
        schema=schema,
    )
    op.create_index("ix_tenants_consortium_id", "tenants", ["consortium_id"], schema=schema)
    op.create_table(
        "job_records",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("func", sa.String(200), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("queue", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column(
            "state",
            sa.Enum("queued", "started", "finished", "failed", name="jobstate", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(500), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            [f"{schema}.tenants.id" if schema else "tenants.id"],
            name="fk_job_records_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_job_records"),
        schema=schema,
    )
    op.create_index("ix_job_records_tenant_id", "job_records", ["tenant_id"], schema=schema)
    op.create_index("ix_job_records_state", "job_records", ["state"], schema=schema)
    op.create_index("ix_job_records_created_at", "job_records", ["created_at"], schema=schema)


def downgrade() -> None:
    schema = target_schema()
    op.drop_table("job_records", schema=schema)
    op.drop_table("tenants", schema=schema)
    op.drop_table("consortia", schema=schema)
