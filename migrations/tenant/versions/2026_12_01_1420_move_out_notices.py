"""Tenant schema: the 転出届 kept with its 転出予定日, 転出先, 特例転出 and state (予定, 確定, 取消し).

Revision ID: t1420_move_out_notices
Revises: t1410_juminhyo_foreign
Create Date: 2026-12-01 14:20
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t1420_move_out_notices"
down_revision = "t1410_juminhyo_foreign"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "move_out_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("moved_on", sa.Date(), nullable=True),
        sa.Column("destination", sa.String(length=200), nullable=False),
        sa.Column("destination_city", sa.String(length=100), nullable=False),
        sa.Column("special", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("cancel_reason", sa.String(length=300), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            [f"{schema}.persons.id" if schema else "persons.id"],
            name="fk_move_out_notices_person_id_persons",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_move_out_notices"),
        schema=schema,
    )
    op.create_index("ix_move_out_notices_person_id", "move_out_notices", ["person_id"], schema=schema)
    op.create_index(
        "ix_move_out_notices_state_planned_on", "move_out_notices", ["state", "planned_on"], schema=schema
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_index("ix_move_out_notices_state_planned_on", table_name="move_out_notices", schema=schema)
    op.drop_index("ix_move_out_notices_person_id", table_name="move_out_notices", schema=schema)
    op.drop_table("move_out_notices", schema=schema)
