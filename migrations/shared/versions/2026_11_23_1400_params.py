"""Parameter layer: declared parameters' values per consortium and city, effective-dated.

Revision ID: s0003_params
Revises: s0002_accounts
Create Date: 2026-11-23 14:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "s0003_params"
down_revision = "s0002_accounts"
branch_labels = None
depends_on = None


def _ref(schema, table):
    return f"{schema}.{table}" if schema else table


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "param_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("consortium", "tenant", name="scope", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("consortium_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("reset", sa.Boolean(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("legal_basis", sa.String(300), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_by", sa.String(120), nullable=True),
        sa.Column("cancel_reason", sa.String(500), nullable=True),
        sa.CheckConstraint(
            "(scope = 'tenant' AND tenant_id IS NOT NULL) OR (scope = 'consortium' AND tenant_id IS NULL)",
            name="ck_param_versions_scope_owner",
        ),
        sa.ForeignKeyConstraint(
            ["consortium_id"],
            [_ref(schema, "consortia.id")],
            name="fk_param_versions_consortium_id_consortia",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            [_ref(schema, "tenants.id")],
            name="fk_param_versions_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_param_versions"),
        schema=schema,
    )
    op.create_index("ix_param_versions_tenant_id_key", "param_versions", ["tenant_id", "key"], schema=schema)
    op.create_index(
        "ix_param_versions_consortium_id_key", "param_versions", ["consortium_id", "key"], schema=schema
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_index("ix_param_versions_consortium_id_key", table_name="param_versions", schema=schema)
    op.drop_index("ix_param_versions_tenant_id_key", table_name="param_versions", schema=schema)
    op.drop_table("param_versions", schema=schema)
