"""The list of a city's shared tables follows the metadata; the archive's encryption refuses any change."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from tenant_core import all_models  # noqa: F401 - every table declared
from tenant_core.backup import crypto
from tenant_core.backup.plan import EXCLUDED, TENANTS, shared_plan
from tenant_core.db import SharedBase


def _refers_to_tenants(table: sa.Table) -> bool:
    return (
        any(fk.column.table.name == TENANTS for column in table.columns for fk in column.foreign_keys)
        or "tenant_id" in table.c
    )


def test_every_shared_table_with_a_tenant_key_is_carried_or_excluded_with_a_reason():
    planned = {entry.name for entry in shared_plan(SharedBase.metadata)}
    for table in SharedBase.metadata.tables.values():
        if _refers_to_tenants(table):
            assert table.name in planned or table.name in EXCLUDED, (
                f"shared table {table.name} has a tenant key but a city's backup does not carry it: "
                "give it a reference the plan follows, or name it in backup.plan.EXCLUDED with the reason"
            )
    # The rows that hang from a carried row (a user's roles) come along as well.
    for table in SharedBase.metadata.tables.values():
        required = {fk.column.table.name for c in table.columns if not c.nullable for fk in c.foreign_keys}
        parents = [e for e in shared_plan(SharedBase.metadata) if e.name in required and not e.outlives]
        if parents and parents != [p for p in parents if p.name == TENANTS] and table.name not in EXCLUDED:
            assert table.name in planned, table.name
    assert {"tenants", "users", "user_roles", "param_versions", "cost_members", "job_records"} <= planned
    assert "user_sessions" not in planned


def test_a_new_shared_table_with_a_tenant_key_is_carried_without_being_listed():
    meta = sa.MetaData(schema="shared")
    for table in SharedBase.metadata.tables.values():
        table.to_metadata(meta)
    sa.Table(
        "tax_accounts",
        meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("tenant_id", sa.ForeignKey("shared.tenants.id", ondelete="CASCADE"), nullable=False),
    )
    sa.Table(
        "untyped", meta, sa.Column("id", sa.Integer, primary_key=True), sa.Column("tenant_id", sa.Integer)
    )
    names = [entry.name for entry in shared_plan(meta)]
    assert "tax_accounts" in names and "untyped" in names
    assert names.index("tenants") < names.index("tax_accounts")


def _encrypted(data: bytes, key: bytes) -> bytes:
    out = io.BytesIO()
    crypto.encrypt_file(io.BytesIO(data), out, key)
    return out.getvalue()


def _decrypted(data: bytes, key: bytes) -> bytes:
    out = io.BytesIO()
    crypto.decrypt_file(io.BytesIO(data), out, key)
    return out.getvalue()


def test_chunks_round_trip_and_refuse_reordering_truncation_and_another_key(monkeypatch):
    monkeypatch.setattr(crypto, "CHUNK", 64)
    key = crypto.parse_key(crypto.generate_key())
    for size in (0, 1, 64, 65, 1000):
        data = bytes(range(256)) * 4
        data = data[:size]
        assert _decrypted(_encrypted(data, key), key) == data
    sealed = _encrypted(b"x" * 200, key)  # four chunks of 64, 64, 64, 8
    header, part = crypto.HEADER_LEN, 4 + 64 + 16
    chunks = [sealed[header + i * part : header + (i + 1) * part] for i in range(3)]
    swapped = sealed[:header] + chunks[1] + chunks[0] + sealed[header + 2 * part :]
    with pytest.raises(crypto.ArchiveCorrupt, match="altered"):
        _decrypted(swapped, key)
    with pytest.raises(crypto.ArchiveCorrupt, match="truncated"):
        _decrypted(sealed[: header + 3 * part], key)  # cut exactly at a chunk boundary
    with pytest.raises(crypto.BackupKeyError, match="wrong key"):
        _decrypted(sealed, crypto.parse_key(crypto.generate_key()))
    with pytest.raises(crypto.ArchiveCorrupt):
        _decrypted(b"PK\x03\x04 not an archive", key)


def test_keys_are_checked():
    with pytest.raises(crypto.BackupKeyError, match="32 random bytes"):
        crypto.parse_key("too-short")
    key = crypto.generate_key()
    with pytest.raises(crypto.BackupKeyError, match="secret"):
        crypto.parse_key(key, app_secret=key)
    with pytest.raises(crypto.BackupKeyError, match="KYODO_BACKUP_KEY"):
        crypto.load_key(None, None, "s")
