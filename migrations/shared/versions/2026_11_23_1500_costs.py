"""Cost allocation: members with their period, fiscal years, items, bases, rules, revisions, scenarios.

Revision ID: s0004_costs
Revises: s0003_params
Create Date: 2026-11-23 15:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "s0004_costs"
down_revision = "s0003_params"
branch_labels = None
depends_on = None


def _ref(schema, table):
    return f"{schema}.{table}.id" if schema else f"{table}.id"


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "cost_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consortium_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("joined_year", sa.Integer(), nullable=False),
        sa.Column("left_year", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consortium_id"],
            [_ref(schema, "consortia")],
            name="fk_cost_members_consortium_id_consortia",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            [_ref(schema, "tenants")],
            name="fk_cost_members_tenant_id_tenants",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_members"),
        sa.UniqueConstraint("consortium_id", "code", name="uq_cost_members_consortium_id_code"),
        schema=schema,
    )
    op.create_index("ix_cost_members_consortium_id", "cost_members", ["consortium_id"], schema=schema)
    op.create_index("ix_cost_members_tenant_id", "cost_members", ["tenant_id"], schema=schema)

    op.create_table(
        "cost_fiscal_years",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consortium_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "approved", name="yearstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("reopen_reason", sa.String(500), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consortium_id"],
            [_ref(schema, "consortia")],
            name="fk_cost_fiscal_years_consortium_id_consortia",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_fiscal_years"),
        sa.UniqueConstraint("consortium_id", "year", name="uq_cost_fiscal_years_consortium_id_year"),
        schema=schema,
    )
    op.create_index(
        "ix_cost_fiscal_years_consortium_id", "cost_fiscal_years", ["consortium_id"], schema=schema
    )

    op.create_table(
        "cost_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(20), nullable=True),
        sa.ForeignKeyConstraint(
            ["fiscal_year_id"],
            [_ref(schema, "cost_fiscal_years")],
            name="fk_cost_rules_fiscal_year_id_cost_fiscal_years",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_rules"),
        schema=schema,
    )
    op.create_index("ix_cost_rules_fiscal_year_id", "cost_rules", ["fiscal_year_id"], schema=schema)

    op.create_table(
        "cost_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fiscal_year_id"],
            [_ref(schema, "cost_fiscal_years")],
            name="fk_cost_items_fiscal_year_id_cost_fiscal_years",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            [_ref(schema, "cost_members")],
            name="fk_cost_items_owner_id_cost_members",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"],
            [_ref(schema, "cost_rules")],
            name="fk_cost_items_rule_id_cost_rules",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_items"),
        schema=schema,
    )
    op.create_index("ix_cost_items_fiscal_year_id", "cost_items", ["fiscal_year_id"], schema=schema)

    op.create_table(
        "cost_member_bases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("population", sa.Integer(), nullable=True),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("usage", sa.Numeric(18, 2), nullable=True),
        sa.Column("standalone", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fiscal_year_id"],
            [_ref(schema, "cost_fiscal_years")],
            name="fk_cost_member_bases_fiscal_year_id_cost_fiscal_years",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            [_ref(schema, "cost_members")],
            name="fk_cost_member_bases_member_id_cost_members",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_member_bases"),
        sa.UniqueConstraint(
            "fiscal_year_id", "member_id", name="uq_cost_member_bases_fiscal_year_id_member_id"
        ),
        schema=schema,
    )
    op.create_index(
        "ix_cost_member_bases_fiscal_year_id", "cost_member_bases", ["fiscal_year_id"], schema=schema
    )

    op.create_table(
        "cost_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("approved_by", sa.String(120), nullable=False),
        sa.Column("approved_at", sa.DateTime(), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fiscal_year_id"],
            [_ref(schema, "cost_fiscal_years")],
            name="fk_cost_revisions_fiscal_year_id_cost_fiscal_years",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_revisions"),
        sa.UniqueConstraint("fiscal_year_id", "number", name="uq_cost_revisions_fiscal_year_id_number"),
        schema=schema,
    )
    op.create_index("ix_cost_revisions_fiscal_year_id", "cost_revisions", ["fiscal_year_id"], schema=schema)

    op.create_table(
        "cost_revision_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("item_amount", sa.BigInteger(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("rule_name", sa.String(200), nullable=False),
        sa.Column("member_code", sa.String(6), nullable=False),
        sa.Column("member_name", sa.String(100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("ratio", sa.String(30), nullable=False),
        sa.Column("explanation_ja", sa.Text(), nullable=False),
        sa.Column("explanation_en", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            [_ref(schema, "cost_revisions")],
            name="fk_cost_revision_shares_revision_id_cost_revisions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_revision_shares"),
        schema=schema,
    )
    op.create_index(
        "ix_cost_revision_shares_revision_id_member_code",
        "cost_revision_shares",
        ["revision_id", "member_code"],
        schema=schema,
    )

    op.create_table(
        "cost_scenarios",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consortium_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consortium_id"],
            [_ref(schema, "consortia")],
            name="fk_cost_scenarios_consortium_id_consortia",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_cost_scenarios"),
        sa.UniqueConstraint("consortium_id", "key", name="uq_cost_scenarios_consortium_id_key"),
        schema=schema,
    )
    op.create_index("ix_cost_scenarios_consortium_id", "cost_scenarios", ["consortium_id"], schema=schema)


def downgrade() -> None:
    schema = target_schema()
    for table in (
        "cost_scenarios",
        "cost_revision_shares",
        "cost_revisions",
        "cost_member_bases",
        "cost_items",
        "cost_rules",
        "cost_fiscal_years",
        "cost_members",
    ):
        op.drop_table(table, schema=schema)
