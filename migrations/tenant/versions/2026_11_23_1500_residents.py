"""Tenant schema: resident records (住民記録), households, their dated events and number sequences.

Revision ID: t0003_residents
Revises: t0002_access_log
Create Date: 2026-11-23 15:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t0003_residents"
down_revision = "t0002_access_log"
branch_labels = None
depends_on = None

PATTERN = "varchar_pattern_ops"


def _ref(schema: str | None, column: str) -> str:
    return f"{schema}.{column}" if schema else column


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_no", sa.Integer(), nullable=False),
        sa.Column("head_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_households"),
        sa.UniqueConstraint("household_no", name="uq_households_household_no"),
        schema=schema,
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("atena_no", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_kana", sa.String(100), nullable=False),
        sa.Column("given_kana", sa.String(100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(6), nullable=False),
        sa.Column("relationship", sa.String(20), nullable=False),
        sa.Column("town", sa.String(100), nullable=False),
        sa.Column("banchi", sa.String(100), nullable=False),
        sa.Column("katagaki", sa.String(200), nullable=False),
        sa.Column("resident_since", sa.Date(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("mynumber_token", sa.Text(), nullable=True),
        sa.Column("mynumber_digest", sa.String(64), nullable=True),
        sa.Column("kana_key", sa.String(200), nullable=False),
        sa.Column("name_key", sa.String(200), nullable=False),
        sa.Column("address_key", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"], [_ref(schema, "households.id")], name="fk_persons_household_id_households"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_persons"),
        sa.UniqueConstraint("atena_no", name="uq_persons_atena_no"),
        sa.UniqueConstraint("mynumber_digest", name="uq_persons_mynumber_digest"),
        schema=schema,
    )
    op.create_index(
        "ix_persons_kana_key", "persons", ["kana_key"], schema=schema, postgresql_ops={"kana_key": PATTERN}
    )
    op.create_index(
        "ix_persons_name_key", "persons", ["name_key"], schema=schema, postgresql_ops={"name_key": PATTERN}
    )
    op.create_index(
        "ix_persons_address_key",
        "persons",
        ["address_key"],
        schema=schema,
        postgresql_ops={"address_key": PATTERN},
    )
    op.create_index("ix_persons_birth_date", "persons", ["birth_date"], schema=schema)
    op.create_index("ix_persons_household_id", "persons", ["household_id"], schema=schema)
    op.create_table(
        "resident_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(120), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], [_ref(schema, "persons.id")], name="fk_resident_events_person_id_persons"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_resident_events"),
        schema=schema,
    )
    op.create_index(
        "ix_resident_events_person_id_effective_on",
        "resident_events",
        ["person_id", "effective_on"],
        schema=schema,
    )
    op.create_index("ix_resident_events_household_id", "resident_events", ["household_id"], schema=schema)
    op.create_table(
        "resident_counters",
        sa.Column("name", sa.String(20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_resident_counters"),
        schema=schema,
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_table("resident_counters", schema=schema)
    op.drop_table("resident_events", schema=schema)
    op.drop_table("persons", schema=schema)
    op.drop_table("households", schema=schema)
