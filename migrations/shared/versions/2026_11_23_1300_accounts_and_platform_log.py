"""Accounts, roles, server-side sessions, per-city settings and the platform's access log.

Revision ID: s0002_accounts
Revises: s0001_core
Create Date: 2026-11-23 13:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "s0002_accounts"
down_revision = "s0001_core"
branch_labels = None
depends_on = None


def _ref(schema, table):
    return f"{schema}.{table}" if schema else table


def _log_columns():
    return [
        sa.Column("seq", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("operator", sa.String(120), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False),
        sa.Column("function", sa.String(60), nullable=False),
        sa.Column("screen", sa.String(120), nullable=False),
        sa.Column("target", sa.String(200), nullable=True),
        sa.Column("search_shape", sa.JSON(), nullable=True),
        sa.Column("mynumber_shown", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    ]


def _head_columns():
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("base_seq", sa.Integer(), nullable=False),
        sa.Column("base_hash", sa.String(64), nullable=False),
    ]


def upgrade() -> None:
    schema = target_schema()
    op.add_column(
        "tenants",
        sa.Column("settings", sa.JSON(), nullable=False, server_default=sa.text("'{}'")),
        schema=schema,
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("login", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("totp_enabled", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], [_ref(schema, "tenants.id")], name="fk_users_tenant_id_tenants", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("tenant_id", "login", name="uq_users_tenant_id_login"),
        schema=schema,
    )
    op.create_index("ix_users_tenant_id", "users", ["tenant_id"], schema=schema)
    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], [_ref(schema, "users.id")], name="fk_user_roles_user_id_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name="pk_user_roles"),
        schema=schema,
    )
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_reason", sa.String(40), nullable=True),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], [_ref(schema, "users.id")], name="fk_user_sessions_user_id_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            [_ref(schema, "tenants.id")],
            name="fk_user_sessions_tenant_id_tenants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_user_sessions"),
        schema=schema,
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"], schema=schema)
    op.create_table(
        "platform_access_log",
        *_log_columns(),
        sa.PrimaryKeyConstraint("seq", name="pk_platform_access_log"),
        schema=schema,
    )
    op.create_index("ix_platform_access_log_at", "platform_access_log", ["at"], schema=schema)
    op.create_index("ix_platform_access_log_operator", "platform_access_log", ["operator"], schema=schema)
    head = op.create_table(
        "platform_access_log_head",
        *_head_columns(),
        sa.PrimaryKeyConstraint("id", name="pk_platform_access_log_head"),
        schema=schema,
    )
    # The chain starts here; appending only ever updates this row, so writers never race to create it.
    op.bulk_insert(
        head, [{"id": 1, "last_seq": 0, "last_hash": "0" * 64, "base_seq": 0, "base_hash": "0" * 64}]
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_table("platform_access_log_head", schema=schema)
    op.drop_table("platform_access_log", schema=schema)
    op.drop_table("user_sessions", schema=schema)
    op.drop_table("user_roles", schema=schema)
    op.drop_table("users", schema=schema)
    op.drop_column("tenants", "settings", schema=schema)
