"""Tenant schema: access-log entries written unchained in the request's transaction, chained by a sealer.

Entries get an ``id`` from the table's counter when written and a ``seq`` (their place in the chain)
when sealed; ``mac`` is the keyed digest of an entry as written. The chain head keeps the fingerprint of
its key and when it was last checkpointed into the platform chain. Existing entries keep their seq and
hashes (the hash does not change), and take their seq as id.

Revision ID: t1000_access_log_sealing
Revises: t0006_honseki
Create Date: 2026-12-01 10:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t1000_access_log_sealing"
down_revision = "t0006_honseki"
branch_labels = None
depends_on = None

TABLE = "access_log"
HEAD = "access_log_head"
COPIED = (
    "at",
    "operator",
    "address",
    "user_agent",
    "function",
    "screen",
    "target",
    "search_shape",
    "mynumber_shown",
    "outcome",
    "detail",
    "prev_hash",
    "hash",
)


def _columns():
    return [
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("seq", sa.Integer(), nullable=True),
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
        sa.Column("mac", sa.String(64), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=True),
        sa.Column("hash", sa.String(64), nullable=True),
    ]


def upgrade() -> None:
    schema = target_schema()
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    op.drop_index(f"ix_{TABLE}_at", TABLE, schema=schema)
    op.drop_index(f"ix_{TABLE}_operator", TABLE, schema=schema)
    op.rename_table(TABLE, f"{TABLE}_old", schema=schema)
    if postgres:
        op.execute(f'ALTER TABLE "{schema}"."{TABLE}_old" RENAME CONSTRAINT pk_{TABLE} TO pk_{TABLE}_old')
    new = op.create_table(
        TABLE,
        *_columns(),
        sa.PrimaryKeyConstraint("id", name=f"pk_{TABLE}"),
        sa.UniqueConstraint("seq", name=f"uq_{TABLE}_seq"),
        schema=schema,
    )
    old = sa.Table(
        f"{TABLE}_old",
        sa.MetaData(),
        sa.Column("seq", sa.Integer()),
        *(sa.Column(name, sa.String()) for name in COPIED if name not in ("search_shape",)),
        sa.Column("search_shape", sa.JSON()),
        schema=schema,
    )
    op.execute(
        sa.insert(new).from_select(
            ["id", "seq", *COPIED], sa.select(old.c.seq, old.c.seq, *(old.c[name] for name in COPIED))
        )
    )
    op.drop_table(f"{TABLE}_old", schema=schema)
    if postgres:
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{schema}\".{TABLE}', 'id'), "
            f'COALESCE((SELECT MAX(id) FROM "{schema}".{TABLE}), 0) + 1, false)'
        )
    op.create_index(f"ix_{TABLE}_at", TABLE, ["at"], schema=schema)
    op.create_index(f"ix_{TABLE}_operator", TABLE, ["operator"], schema=schema)
    op.create_index(f"ix_{TABLE}_target", TABLE, ["target"], schema=schema)
    op.add_column(HEAD, sa.Column("key_check", sa.String(64), nullable=True), schema=schema)
    op.add_column(
        HEAD,
        sa.Column("checkpoint_seq", sa.Integer(), nullable=False, server_default=sa.text("0")),
        schema=schema,
    )
    op.add_column(HEAD, sa.Column("checkpoint_at", sa.DateTime(), nullable=True), schema=schema)


def downgrade() -> None:
    raise NotImplementedError("the access log is not taken back to chaining under a lock")
