"""A comparable description of a schema's tables, columns, keys and indexes."""

from __future__ import annotations

import sqlalchemy as sa


def describe(conn: sa.Connection, schema: str | None, skip: tuple[str, ...] = ()) -> dict:
    insp = sa.inspect(conn)
    shape = {}
    for table in sorted(insp.get_table_names(schema=schema)):
        if table in skip:
            continue
        # Sorted by name: a column added by a later migration sits last in the table, and that
        # position carries no meaning.
        columns = sorted(
            (c["name"], str(c["type"]), c["nullable"]) for c in insp.get_columns(table, schema=schema)
        )
        fks = sorted(
            (
                tuple(fk["constrained_columns"]),
                fk["referred_table"],
                tuple(fk["referred_columns"]),
                (fk.get("options") or {}).get("ondelete"),
            )
            for fk in insp.get_foreign_keys(table, schema=schema)
        )
        indexes = sorted(
            (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
            for ix in insp.get_indexes(table, schema=schema)
        )
        uniques = sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(table, schema=schema))
        pk = insp.get_pk_constraint(table, schema=schema)
        shape[table] = {
            "columns": columns,
            "pk": tuple(pk["constrained_columns"]),
            "fks": fks,
            "indexes": indexes,
            "uniques": uniques,
        }
    return shape
