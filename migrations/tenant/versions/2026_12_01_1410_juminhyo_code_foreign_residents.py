"""Tenant schema: the 住民票コード, the 外国人住民's items (住基法30条の45), 通称 and 旧氏 of a person.

Existing persons are 日本人住民 without a 住民票コード (it is recorded at their next change).

Revision ID: t1410_juminhyo_foreign
Revises: t1400_support_measures
Create Date: 2026-12-01 14:10
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t1410_juminhyo_foreign"
down_revision = "t1400_support_measures"
branch_labels = None
depends_on = None

COLUMNS = (
    ("juminhyo_code", sa.String(11)),
    ("nationality", sa.String(60)),
    ("foreign_category", sa.String(30)),
    ("residence_status", sa.String(60)),
    ("residence_period", sa.String(30)),
    ("residence_from", sa.Date()),
    ("residence_until", sa.Date()),
    ("card_number", sa.String(12)),
    ("alpha_name", sa.String(200)),
    ("tsusho", sa.String(100)),
    ("tsusho_kana", sa.String(100)),
    ("kyuuji", sa.String(100)),
    ("kyuuji_kana", sa.String(100)),
    ("alpha_key", sa.String(200)),
    ("tsusho_key", sa.String(200)),
)
PATTERN_INDEXES = ("alpha_key", "tsusho_key")


def upgrade() -> None:
    schema = target_schema()
    op.add_column(
        "persons",
        sa.Column("citizenship", sa.String(10), nullable=False, server_default="japanese"),
        schema=schema,
    )
    for name, type_ in COLUMNS:
        op.add_column("persons", sa.Column(name, type_, nullable=True), schema=schema)
    for name in PATTERN_INDEXES:
        op.create_index(
            f"ix_persons_{name}",
            "persons",
            [name],
            schema=schema,
            postgresql_ops={name: "varchar_pattern_ops"},
        )
    op.create_index("ix_persons_residence_until", "persons", ["residence_until"], schema=schema)
    op.create_index("ux_persons_juminhyo_code", "persons", ["juminhyo_code"], unique=True, schema=schema)


def downgrade() -> None:
    schema = target_schema()
    op.drop_index("ux_persons_juminhyo_code", table_name="persons", schema=schema)
    op.drop_index("ix_persons_residence_until", table_name="persons", schema=schema)
    for name in PATTERN_INDEXES:
        op.drop_index(f"ix_persons_{name}", table_name="persons", schema=schema)
    for name, _type in reversed(COLUMNS):
        op.drop_column("persons", name, schema=schema)
    op.drop_column("persons", "citizenship", schema=schema)
