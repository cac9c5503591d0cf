"""Job records as an outbox: attempts, idempotence, timeout, heartbeat, runner, dispatch error, checkpoint.

Revision ID: s0005_job_outbox
Revises: s1005_platform_log_sealing
Create Date: 2026-12-01 11:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "s0005_job_outbox"
down_revision = "s1005_platform_log_sealing"
branch_labels = None
depends_on = None

COLUMNS = (
    ("idempotent", lambda: sa.Column("idempotent", sa.Boolean(), nullable=False, server_default=sa.false())),
    ("attempts", lambda: sa.Column("attempts", sa.Integer(), nullable=False, server_default="0")),
    ("timeout", lambda: sa.Column("timeout", sa.Integer(), nullable=False, server_default="600")),
    ("dispatch_error", lambda: sa.Column("dispatch_error", sa.Text(), nullable=True)),
    ("heartbeat_at", lambda: sa.Column("heartbeat_at", sa.DateTime(), nullable=True)),
    ("runner", lambda: sa.Column("runner", sa.String(100), nullable=True)),
    ("progress_state", lambda: sa.Column("progress_state", sa.JSON(), nullable=True)),
)


def upgrade() -> None:
    schema = target_schema()
    for _name, column in COLUMNS:
        op.add_column("job_records", column(), schema=schema)


def downgrade() -> None:
    schema = target_schema()
    with op.batch_alter_table("job_records", schema=schema) as batch:
        for name, _column in reversed(COLUMNS):
            batch.drop_column(name)
