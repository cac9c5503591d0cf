"""Tenant schema: an index for the residents API's changes feed (persons in updated_at order from a moment).

Revision ID: t1500_persons_changes_index
Revises: t1490_owner_retained_title
Create Date: 2026-12-01 18:50
"""

from alembic import op

from migrations.schema import target_schema

revision = "t1500_persons_changes_index"
down_revision = "t1490_owner_retained_title"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_persons_updated_at_atena_no", "persons", ["updated_at", "atena_no"], schema=target_schema()
    )


def downgrade() -> None:
    op.drop_index("ix_persons_updated_at_atena_no", table_name="persons", schema=target_schema())
