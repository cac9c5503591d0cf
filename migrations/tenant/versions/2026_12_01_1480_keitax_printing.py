"""Tenant schema: 軽自動車税（種別割） (vehicles, 課税台帳, 減免, 収納), 共通宛名 (住登外者・法人) and print runs.

Revision ID: t1480_keitax_printing
Revises: t1460_migration
Create Date: 2026-12-01 17:00
"""

import sqlalchemy as sa
from alembic import op

from migrations.schema import target_schema

revision = "t1480_keitax_printing"
down_revision = "t1460_migration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    schema = target_schema()
    op.create_table(
        "atena_addressees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("atena_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kana", sa.String(length=200), nullable=False),
        sa.Column("corporate_number", sa.String(length=13), nullable=True),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("address_after_town", sa.String(length=200), nullable=False),
        sa.Column("registered_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_atena_addressees"),
        sa.UniqueConstraint("atena_no", name="uq_atena_addressees_atena_no"),
        sa.UniqueConstraint("corporate_number", name="uq_atena_addressees_corporate_number"),
        schema=schema,
    )
    op.create_table(
        "atena_counters",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_atena_counters"),
        schema=schema,
    )
    op.create_table(
        "keitax_counters",
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_keitax_counters"),
        schema=schema,
    )
    op.create_table(
        "keitax_payment_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("imported_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_keitax_payment_imports"),
        schema=schema,
    )
    op.create_table(
        "keitax_vehicles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plate_no", sa.String(length=30), nullable=False),
        sa.Column("vehicle_class", sa.String(length=30), nullable=False),
        sa.Column("first_inspection", sa.Date(), nullable=True),
        sa.Column("green", sa.Boolean(), nullable=False),
        sa.Column("owner_atena_no", sa.Integer(), nullable=False),
        sa.Column("user_atena_no", sa.Integer(), nullable=True),
        sa.Column("acquired_on", sa.Date(), nullable=False),
        sa.Column("scrapped_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_keitax_vehicles"),
        schema=schema,
    )
    op.create_index(
        "ix_keitax_vehicles_owner_atena_no",
        "keitax_vehicles",
        ["owner_atena_no"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        "ix_keitax_vehicles_plate_no", "keitax_vehicles", ["plate_no"], unique=False, schema=schema
    )
    op.create_table(
        "print_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("box_sheets", sa.Integer(), nullable=False),
        sa.Column("boxes", sa.Integer(), nullable=False),
        sa.Column("boxes_done", sa.Integer(), nullable=False),
        sa.Column("barcode", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("output_bytes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_print_runs"),
        schema=schema,
    )
    op.create_table(
        "keitax_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("taxpayer_atena_no", sa.Integer(), nullable=False),
        sa.Column("vehicle_class", sa.String(length=30), nullable=False),
        sa.Column("rule", sa.String(length=12), nullable=False),
        sa.Column("rate", sa.Integer(), nullable=False),
        sa.Column("reduction", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("nofu_no", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("assessed_at", sa.DateTime(), nullable=False),
        sa.Column("assessed_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            [f"{schema}.keitax_vehicles.id" if schema else "keitax_vehicles.id"],
            name="fk_keitax_assessments_vehicle_id_keitax_vehicles",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_keitax_assessments"),
        sa.UniqueConstraint("nofu_no", name="uq_keitax_assessments_nofu_no"),
        schema=schema,
    )
    op.create_index(
        "ix_keitax_assessments_taxpayer",
        "keitax_assessments",
        ["taxpayer_atena_no"],
        unique=False,
        schema=schema,
    )
    op.create_index(
        "ix_keitax_assessments_year_vehicle",
        "keitax_assessments",
        ["fiscal_year", "vehicle_id", "current"],
        unique=False,
        schema=schema,
    )
    op.create_table(
        "keitax_reductions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("applied_by", sa.String(length=120), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            [f"{schema}.keitax_vehicles.id" if schema else "keitax_vehicles.id"],
            name="fk_keitax_reductions_vehicle_id_keitax_vehicles",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_keitax_reductions"),
        schema=schema,
    )
    op.create_table(
        "keitax_vehicle_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vehicle_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            [f"{schema}.keitax_vehicles.id" if schema else "keitax_vehicles.id"],
            name="fk_keitax_vehicle_events_vehicle_id_keitax_vehicles",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_keitax_vehicle_events"),
        schema=schema,
    )
    op.create_index(
        "ix_keitax_vehicle_events_vehicle_id",
        "keitax_vehicle_events",
        ["vehicle_id"],
        unique=False,
        schema=schema,
    )
    op.create_table(
        "print_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("box_no", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("address_after_town", sa.String(length=300), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("pulled_reason", sa.String(length=300), nullable=True),
        sa.Column("pulled_by", sa.String(length=120), nullable=True),
        sa.Column("pulled_at", sa.DateTime(), nullable=True),
        sa.Column("reprints", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            [f"{schema}.print_runs.id" if schema else "print_runs.id"],
            name="fk_print_items_run_id_print_runs",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_print_items"),
        sa.UniqueConstraint("run_id", "seq", name="uq_print_items_run_id_seq"),
        schema=schema,
    )
    op.create_index(
        "ix_print_items_run_id_box_no", "print_items", ["run_id", "box_no"], unique=False, schema=schema
    )
    op.create_table(
        "keitax_payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("nofu_no", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            [f"{schema}.keitax_assessments.id" if schema else "keitax_assessments.id"],
            name="fk_keitax_payments_assessment_id_keitax_assessments",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            [f"{schema}.keitax_payment_imports.id" if schema else "keitax_payment_imports.id"],
            name="fk_keitax_payments_import_id_keitax_payment_imports",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_keitax_payments"),
        schema=schema,
    )
    op.create_index(
        "ix_keitax_payments_assessment_id", "keitax_payments", ["assessment_id"], unique=False, schema=schema
    )


def downgrade() -> None:
    schema = target_schema()
    op.drop_index("ix_keitax_payments_assessment_id", table_name="keitax_payments", schema=schema)
    op.drop_table("keitax_payments", schema=schema)
    op.drop_index("ix_print_items_run_id_box_no", table_name="print_items", schema=schema)
    op.drop_table("print_items", schema=schema)
    op.drop_index("ix_keitax_vehicle_events_vehicle_id", table_name="keitax_vehicle_events", schema=schema)
    op.drop_table("keitax_vehicle_events", schema=schema)
    op.drop_table("keitax_reductions", schema=schema)
    op.drop_index("ix_keitax_assessments_year_vehicle", table_name="keitax_assessments", schema=schema)
    op.drop_index("ix_keitax_assessments_taxpayer", table_name="keitax_assessments", schema=schema)
    op.drop_table("keitax_assessments", schema=schema)
    op.drop_table("print_runs", schema=schema)
    op.drop_index("ix_keitax_vehicles_plate_no", table_name="keitax_vehicles", schema=schema)
    op.drop_index("ix_keitax_vehicles_owner_atena_no", table_name="keitax_vehicles", schema=schema)
    op.drop_table("keitax_vehicles", schema=schema)
    op.drop_table("keitax_payment_imports", schema=schema)
    op.drop_table("keitax_counters", schema=schema)
    op.drop_table("atena_counters", schema=schema)
    op.drop_table("atena_addressees", schema=schema)
