"""Tenant schema: 異動の取消し and the dates a 住民票 prints for a move.

``resident_events`` gains the link between a cancelled event and the event that cancels it, the
group of events one operation recorded together (a household's 転居), and the 届出日 of each event.
``persons`` gains 住所を定めた年月日, the 届出の年月日 of that address and the 従前の住所
(住民基本台帳法第7条第7号・第8号). Existing persons take their 住民となった日 as the day they set
their address; their 届出日 and 従前の住所 stay unknown (NULL).

Revision ID: t1430_event_cancellation
Revises: t1420_move_out_notices
Create Date: 2026-12-01 14:30
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t1430_event_cancellation"
down_revision = "t1420_move_out_notices"
branch_labels = None
depends_on = None

EVENT_COLUMNS = (
    ("cancels_id", sa.Integer()),
    ("cancelled_by_id", sa.Integer()),
    ("batch_id", sa.Integer()),
    ("notified_on", sa.Date()),
)
PERSON_COLUMNS = (
    ("address_since", sa.Date()),
    ("notified_on", sa.Date()),
    ("previous_address", sa.String(300)),
)


def upgrade() -> None:
    schema = target_schema()
    for name, type_ in EVENT_COLUMNS:
        op.add_column("resident_events", sa.Column(name, type_, nullable=True), schema=schema)
    op.create_index("ix_resident_events_batch_id", "resident_events", ["batch_id"], schema=schema)
    for name, type_ in PERSON_COLUMNS:
        op.add_column("persons", sa.Column(name, type_, nullable=True), schema=schema)
    persons = sa.table(
        "persons",
        sa.column("address_since", sa.Date()),
        sa.column("resident_since", sa.Date()),
        schema=schema,
    )
    op.execute(persons.update().values(address_since=persons.c.resident_since))


def downgrade() -> None:
    schema = target_schema()
    for name, _type in reversed(PERSON_COLUMNS):
        op.drop_column("persons", name, schema=schema)
    op.drop_index("ix_resident_events_batch_id", table_name="resident_events", schema=schema)
    for name, _type in reversed(EVENT_COLUMNS):
        op.drop_column("resident_events", name, schema=schema)
