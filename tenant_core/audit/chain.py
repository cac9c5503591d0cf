"""Appending to and verifying a hash chain of access-log entries.

Each entry's hash is an HMAC over the previous hash and the entry's own fields, keyed from the
application's secret: editing, deleting or inserting a row breaks the chain at that row, and
someone with database access alone cannot forge a consistent chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenant_core.audit.models import AccessLogColumns, ChainHeadColumns

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq",
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
)


def chain_key(secret_key: str, chain: str) -> bytes:
    """A key per chain, derived from the app's secret (rotating the secret needs a re-anchor)."""
    return hmac.new(secret_key.encode(), f"kyodo-audit:{chain}".encode(), hashlib.sha256).digest()


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    return value


def digest(key: bytes, prev_hash: str, values: dict[str, Any]) -> str:
    body = json.dumps(
        {f: _canonical(values.get(f)) for f in HASHED_FIELDS},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hmac.new(key, (prev_hash + body).encode(), hashlib.sha256).hexdigest()


def append(
    session: Session,
    log_cls: type[AccessLogColumns],
    head_cls: type[ChainHeadColumns],
    key: bytes,
    values: dict[str, Any],
) -> AccessLogColumns:
    """Add one entry at the end of the chain; the caller commits."""
    head_table = head_cls.__table__  # type: ignore[attr-defined]
    # Updating the head first takes its row lock (PostgreSQL) or the write lock (SQLite) before
    # reading, so two writers can never link to the same previous entry.
    bumped = session.execute(
        sa.update(head_table)
        .where(head_table.c.id == 1)
        .values(last_seq=head_table.c.last_seq + 1)
        .returning(head_table.c.last_seq, head_table.c.last_hash)
    ).first()
    if bumped is None:
        raise RuntimeError(f"{head_table.name} has no row: the schema was not provisioned by kyodo")
    seq, prev = bumped
    entry_values = {**values, "seq": seq}
    entry_values.setdefault("at", dt.datetime.now(dt.UTC).replace(tzinfo=None))
    entry = log_cls(**entry_values, prev_hash=prev, hash=digest(key, prev, entry_values))  # type: ignore[call-arg]
    session.add(entry)
    session.execute(sa.update(head_table).where(head_table.c.id == 1).values(last_hash=entry.hash))
    return entry


def head_row() -> dict[str, Any]:
    """The first row of a chain head, written when its schema is created."""
    return {"id": 1, "last_seq": 0, "last_hash": GENESIS, "base_seq": 0, "base_hash": GENESIS}


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify(
    session: Session, log_cls: type[AccessLogColumns], head_cls: type[ChainHeadColumns], key: bytes
) -> VerifyResult:
    """Walk the chain in order and report the first entry that does not link or does not hash."""
    head = session.get(head_cls, 1)
    if head is None:
        count = session.scalar(sa.select(sa.func.count()).select_from(log_cls))
        return VerifyResult(
            ok=not count, checked=0, problem="" if not count else "entries without a chain head"
        )
    expected_prev, expected_seq, checked = head.base_hash, head.base_seq + 1, 0
    rows = session.scalars(sa.select(log_cls).order_by(log_cls.seq).execution_options(yield_per=1000))
    for entry in rows:
        values = {f: getattr(entry, f) for f in HASHED_FIELDS}
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return VerifyResult(
                False, checked, entry.seq, f"entry {entry.seq} does not link to the one before"
            )
        if entry.hash != digest(key, entry.prev_hash, values):
            return VerifyResult(False, checked, entry.seq, f"entry {entry.seq} was altered")
        expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
    if head.last_seq != expected_seq - 1 or head.last_hash != expected_prev:
        return VerifyResult(False, checked, expected_seq, f"entries after {expected_seq - 1} were removed")
    return VerifyResult(True, checked)
