"""Writing, sealing and verifying a hash chain of access-log entries.

An entry is written inside the transaction of the change it records, with an ``id`` from the
table's own counter and a keyed ``mac`` over its fields: writing takes no lock that other requests
wait for. The **sealer** then chains committed entries in the order it finds them: it locks the
chain head for a moment, gives each unsealed entry the next ``seq``, links it to the previous hash
with an HMAC and moves the head. Editing, deleting or inserting a sealed row breaks the chain at that
row; editing an unsealed row breaks its ``mac``; someone with database access alone cannot forge
either, because the keys derive from the application's secret.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
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
ENTRY_FIELDS = tuple(f for f in HASHED_FIELDS if f != "seq")
# What the columns default to, set before the mac is taken so that the mac sees what is stored.
ENTRY_DEFAULTS: dict[str, Any] = {
    "address": "",
    "user_agent": "",
    "screen": "",
    "target": None,
    "search_shape": None,
    "mynumber_shown": False,
    "outcome": "ok",
    "detail": "",
}
SEAL_BATCH = 5000  # entries sealed per transaction at most; the rest wait for the next pass


class KeyMismatch(RuntimeError):
    """The chain was sealed with another key than the one the application runs with."""


def chain_key(secret_key: str, chain: str) -> bytes:
    """A key per chain, derived from the app's secret (rotating the secret needs a re-anchor)."""
    return hmac.new(secret_key.encode(), f"kyodo-audit:{chain}".encode(), hashlib.sha256).digest()


def key_fingerprint(key: bytes) -> str:
    """A short keyed value stored with a chain: checking it tells whether a key is the chain's."""
    return hmac.new(key, b"kyodo-audit-key-check", hashlib.sha256).hexdigest()[:32]


def _canonical(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None).isoformat(timespec="microseconds")
    return value


def _body(values: dict[str, Any], fields: Sequence[str]) -> str:
    return json.dumps(
        {f: _canonical(values.get(f)) for f in fields},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def digest(key: bytes, prev_hash: str, values: dict[str, Any]) -> str:
    """The chain link of one sealed entry (``values`` holds its ``seq``)."""
    return hmac.new(key, (prev_hash + _body(values, HASHED_FIELDS)).encode(), hashlib.sha256).hexdigest()


def entry_mac(key: bytes, values: dict[str, Any]) -> str:
    """The keyed digest an entry gets when written, before it has a place in the chain."""
    return hmac.new(key, ("entry:" + _body(values, ENTRY_FIELDS)).encode(), hashlib.sha256).hexdigest()


def values_of(entry: AccessLogColumns) -> dict[str, Any]:
    return {f: getattr(entry, f) for f in HASHED_FIELDS}


def new_entry(log_cls: type[AccessLogColumns], key: bytes, values: dict[str, Any]) -> AccessLogColumns:
    """An unsealed entry for the caller to add to its session (it commits with the caller's change)."""
    entry_values = {**ENTRY_DEFAULTS, **{f: v for f, v in values.items() if f != "seq"}}
    entry_values.setdefault("at", dt.datetime.now(dt.UTC).replace(tzinfo=None))
    return log_cls(**entry_values, mac=entry_mac(key, entry_values))  # type: ignore[call-arg]


def head_row() -> dict[str, Any]:
    """The first row of a chain head, written when its schema is created."""
    return {
        "id": 1,
        "last_seq": 0,
        "last_hash": GENESIS,
        "base_seq": 0,
        "base_hash": GENESIS,
        "checkpoint_seq": 0,
    }


def lock_head(session: Session, head_cls: type[ChainHeadColumns], *, skip_locked: bool) -> Any:
    """The chain head, locked until the transaction ends; None when another sealer holds it."""
    head_table = head_cls.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "sqlite":
        # A write first takes SQLite's single write lock (waiting for it), so the read below is current.
        session.execute(
            sa.update(head_table).where(head_table.c.id == 1).values(last_seq=head_table.c.last_seq)
        )
        query = sa.select(head_cls).where(head_cls.id == 1)
    else:
        query = sa.select(head_cls).where(head_cls.id == 1).with_for_update(skip_locked=skip_locked)
    head = session.scalars(query.execution_options(populate_existing=True)).first()
    if head is None and not skip_locked:
        raise RuntimeError(f"{head_table.name} has no row: the schema was not provisioned by kyodo")
    return head


def check_key(session: Session, log_cls: type[AccessLogColumns], head: Any, key: bytes) -> None:
    """Refuse to touch a chain sealed with another key; remember the key of a chain that has none yet."""
    fingerprint = key_fingerprint(key)
    if head.key_check == fingerprint:
        return
    if head.key_check is None:
        last = session.scalars(sa.select(log_cls).where(log_cls.seq == head.last_seq)).first()
        if last is None or last.hash == digest(key, last.prev_hash or "", values_of(last)):
            head.key_check = fingerprint
            return
    raise KeyMismatch(f"the chain {head.__tablename__} was sealed with another key")


@dataclass
class SealResult:
    sealed: int
    last_seq: int
    last_hash: str
    rejected: list[int] = field(default_factory=list)  # ids whose mac does not match: never chained


def seal(
    session: Session,
    log_cls: type[AccessLogColumns],
    head_cls: type[ChainHeadColumns],
    key: bytes,
    *,
    skip_locked: bool = False,
    head: Any = None,
) -> SealResult | None:
    """Chain the committed entries that have no place yet; None if another sealer holds the head.

    The caller commits. Entries are taken in the order of their ids among those visible now; an
    entry whose transaction commits later is sealed by a later pass, after the ones sealed here.
    """
    if head is None:
        head = lock_head(session, head_cls, skip_locked=skip_locked)
        if head is None:
            return None
    check_key(session, log_cls, head, key)
    rows = session.scalars(
        sa.select(log_cls).where(log_cls.seq.is_(None)).order_by(log_cls.id).limit(SEAL_BATCH)
    ).all()
    seq, prev = head.last_seq, head.last_hash
    result = SealResult(0, seq, prev)
    for row in rows:
        values = values_of(row)
        if row.mac is None or not hmac.compare_digest(row.mac, entry_mac(key, values)):
            result.rejected.append(row.id)
            continue
        seq += 1
        values["seq"] = seq
        row.seq, row.prev_hash = seq, prev
        row.hash = prev = digest(key, prev, values)
        result.sealed += 1
    if result.sealed:
        head.last_seq, head.last_hash = seq, prev
    session.flush()
    result.last_seq, result.last_hash = seq, prev
    return result


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""
    base_seq: int = 0
    base_hash: str = GENESIS
    last_seq: int = 0
    last_hash: str = GENESIS
    hashes: dict[int, str] = field(default_factory=dict)  # of the seqs asked for in ``keep``
    unsealed: int = 0


def verify(
    session: Session,
    log_cls: type[AccessLogColumns],
    head_cls: type[ChainHeadColumns],
    key: bytes,
    *,
    grace: dt.timedelta = dt.timedelta(minutes=10),
    now: dt.datetime | None = None,
    keep: Sequence[int] = (),
) -> VerifyResult:
    """Walk the chain in order and report the first entry that is missing, does not link or does not hash.

    Unsealed entries must carry a valid ``mac`` and be younger than ``grace`` (the sealer runs after
    every request, so an older one means the sealer is not running or the row did not come from Kyodo).
    """
    head = session.get(head_cls, 1)
    if head is None:
        count = session.scalar(sa.select(sa.func.count()).select_from(log_cls))
        return VerifyResult(
            ok=not count, checked=0, problem="" if not count else "entries without a chain head"
        )
    base: dict[str, Any] = {"base_seq": head.base_seq, "base_hash": head.base_hash}
    expected_prev, expected_seq, checked = head.base_hash, head.base_seq + 1, 0
    hashes: dict[int, str] = {}
    wanted = set(keep)
    rows = session.scalars(
        sa.select(log_cls)
        .where(log_cls.seq.is_not(None))
        .order_by(log_cls.seq)
        .execution_options(yield_per=1000)
    )
    for entry in rows:
        values = values_of(entry)
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"entry {expected_seq} is missing", **base)
        if entry.prev_hash != expected_prev:
            return VerifyResult(
                False, checked, entry.seq, f"entry {entry.seq} does not link to the one before", **base
            )
        if entry.hash != digest(key, entry.prev_hash or "", values):
            return VerifyResult(False, checked, entry.seq, f"entry {entry.seq} was altered", **base)
        if entry.seq in wanted:
            hashes[entry.seq] = entry.hash or ""
        expected_prev, expected_seq, checked = entry.hash or "", entry.seq + 1, checked + 1
    last_seq = expected_seq - 1
    if head.last_seq != last_seq or head.last_hash != expected_prev:
        return VerifyResult(
            False,
            checked,
            expected_seq,
            f"entries after seq {last_seq} are missing (entries after {last_seq} were removed: "
            f"the chain head says {head.last_seq})",
            **base,
        )
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    unsealed = 0
    for entry in session.scalars(sa.select(log_cls).where(log_cls.seq.is_(None)).order_by(log_cls.id)):
        unsealed += 1
        if entry.mac is None or entry.mac != entry_mac(key, values_of(entry)):
            return VerifyResult(
                False,
                checked,
                None,
                f"unsealed entry id {entry.id} was altered or not written by Kyodo",
                **base,
            )
        if entry.at < now - grace:
            return VerifyResult(
                False,
                checked,
                None,
                f"entry id {entry.id} of {entry.at:%Y-%m-%d %H:%M:%S} UTC was never sealed "
                f"(older than {int(grace.total_seconds() // 60)} minutes): is the sealer running?",
                **base,
            )
    return VerifyResult(
        True,
        checked,
        None,
        "",
        last_seq=last_seq,
        last_hash=expected_prev,
        hashes=hashes,
        unsealed=unsealed,
        **base,
    )
