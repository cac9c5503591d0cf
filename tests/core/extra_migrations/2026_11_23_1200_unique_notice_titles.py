"""Test-only migration: a column and a unique index that fail where a city has duplicate titles.

Revision ID: t9001_test_unique_titles
Revises: the newest revision of the real tenant history
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema
from tenant_core.migrate import head_revision

revision = "t9001_test_unique_titles"
down_revision = head_revision("tenant")  # always on top of the real history
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.add_column("notices", sa.Column("priority", sa.Integer(), nullable=True), schema=schema)
    op.create_index("ix_notices_title_unique", "notices", ["title"], unique=True, schema=schema)


def downgrade() -> None:
    schema = target_schema()
    op.drop_index("ix_notices_title_unique", table_name="notices", schema=schema)
    op.drop_column("notices", "priority", schema=schema)
