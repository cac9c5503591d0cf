"""Writing the access log from a request, and reading it back for the city administrator."""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, g, has_app_context, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tenant_core import exports
from tenant_core.audit import chain
from tenant_core.audit.models import (
    AccessLog,
    AccessLogColumns,
    AccessLogHead,
    ChainHeadColumns,
    PlatformAccessLog,
    PlatformAccessLogHead,
)
from tenant_core.extensions import get_db
from tenant_core.inputs import printable
from tenant_core.japanese import is_holiday, japan_today
from tenant_core.tenancy import TenantRef

JST = ZoneInfo("Asia/Tokyo")
BULK_SEARCH_RESULTS = 100  # a search returning this many records or more is flagged


def _key(chain_name: str, secret: str | None = None) -> bytes:
    return chain.chain_key(secret or current_app.config["SECRET_KEY"], chain_name)


def _setting(name: str, default: Any) -> Any:
    return current_app.config.get(name, default) if has_app_context() else default


def checkpoint_every() -> int:
    """Entries sealed between two checkpoints of a city's head in the platform chain."""
    return int(_setting("KYODO_AUDIT_CHECKPOINT_EVERY", 100))


def checkpoint_interval() -> dt.timedelta:
    return dt.timedelta(minutes=float(_setting("KYODO_AUDIT_CHECKPOINT_MINUTES", 10)))


def seal_grace() -> dt.timedelta:
    """How long an entry may wait for the sealer before ``verify`` calls it a gap."""
    return dt.timedelta(minutes=float(_setting("KYODO_AUDIT_SEAL_GRACE_MINUTES", 10)))


def chain_name(tenant: TenantRef | None) -> str:
    return f"tenant:{tenant.slug}" if tenant else "platform"


def _classes(tenant: TenantRef | None) -> tuple[type[AccessLogColumns], type[ChainHeadColumns]]:
    return (AccessLog, AccessLogHead) if tenant is not None else (PlatformAccessLog, PlatformAccessLogHead)


def _schema(tenant: TenantRef | None) -> str | None:
    return tenant.schema if tenant is not None else None


def search_shape(params: dict[str, Any], results: int | None = None) -> dict[str, Any]:
    """Which search fields were used and how long each value was: never the values themselves."""
    shape: dict[str, Any] = {
        name: f"{type(value).__name__}:{len(str(value))}" for name, value in sorted(params.items()) if value
    }
    if results is not None:
        shape["results"] = results
    return shape


def record(
    function: str,
    *,
    screen: str | None = None,
    target: str | None = None,
    search: dict[str, Any] | None = None,
    mynumber_shown: bool = False,
    outcome: str = "ok",
    detail: str = "",
    tenant: TenantRef | None = None,
    operator: str | None = None,
) -> None:
    """Record one access in the city's chain (or the platform's).

    In a request, the entry waits until the request ends: if the request succeeds it is written in
    the request's own transaction, so the change and its trace commit together or not at all; if
    the request is refused or fails, it is written in a transaction of its own after the rollback,
    so the refusal is kept. Outside a request (jobs, the CLI) it is written at once. Either way the
    sealer then chains it, in a short transaction of its own.
    """
    tenant = tenant if tenant is not None else g.get("tenant")
    user = g.get("user")
    values: dict[str, Any] = {
        "operator": operator or (user.operator_id if user else "-"),
        "function": function,
        "screen": screen or (request.endpoint or request.path if has_request_context() else "cli"),
        # What a request brought (a target typed in a URL, a user agent) is stored printable: a NUL would
        # fail the write on PostgreSQL and lose the entry, control characters would garble the CSV.
        "target": None if target is None else printable(target, 200),
        "search_shape": search,
        "mynumber_shown": mynumber_shown,
        "outcome": outcome,
        "detail": printable(detail, 500),
        "address": (request.remote_addr or "") if has_request_context() else "",
        "user_agent": (printable(request.user_agent.string, 300) if has_request_context() else "kyodo-cli"),
    }
    values["at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if has_request_context():
        g.setdefault("audit_pending", []).append((tenant, values))
    else:
        seal_written(write_separately([(tenant, values)]))


Pending = list[tuple[TenantRef | None, dict[str, Any]]]
Written = list[tuple[TenantRef | None, int]]


def add_entries(session: Session, pending: Pending) -> list[tuple[TenantRef | None, AccessLogColumns]]:
    """Add unsealed entries to ``session`` (bound to their city); they commit with its transaction."""
    added = []
    for tenant, values in pending:
        log_cls, _head = _classes(tenant)
        entry = chain.new_entry(log_cls, _key(chain_name(tenant)), values)
        session.add(entry)
        added.append((tenant, entry))
    session.flush()
    return added


def split_pending(pending: Pending, request_tenant: TenantRef | None) -> tuple[Pending, Pending]:
    """Entries the request's session can hold (its city's and the platform's), and the others."""
    own: Pending = [
        (t, v) for t, v in pending if t is None or (request_tenant and t.schema == request_tenant.schema)
    ]
    other: Pending = [
        (t, v)
        for t, v in pending
        if not (t is None or (request_tenant and t.schema == request_tenant.schema))
    ]
    return own, other


def as_failed(pending: Pending, reason: str) -> Pending:
    """The entries of a request whose transaction did not commit, recorded as failed."""
    return [
        (t, {**v, "outcome": "failed", "detail": f"{reason}: {v.get('detail', '')}"[:500]})
        for t, v in pending
    ]


def write_separately(pending: Pending) -> Written:
    """Write entries in transactions of their own (one per city), for refusals and failures."""
    written: Written = []
    by_schema: dict[str | None, Pending] = {}
    for tenant, values in pending:
        by_schema.setdefault(_schema(tenant), []).append((tenant, values))
    for schema, group in by_schema.items():
        with get_db().session(schema) as session:
            added = add_entries(session, group)
            session.commit()
            written += [(t, e.id) for t, e in added]
    return written


def write_pending() -> Written:
    """Write the entries this request recorded in their own transactions (a failed request)."""
    return write_separately(g.pop("audit_pending", []))


def seal_written(written: Written) -> None:
    """Seal the chains that just got entries; a failure here leaves them for the next pass."""
    chains: dict[str | None, tuple[TenantRef | None, list[int]]] = {}
    for tenant, entry_id in written:
        chains.setdefault(_schema(tenant), (tenant, []))[1].append(entry_id)
    for tenant, ids in chains.values():
        try:
            seal_soon(tenant, ids)
        except Exception:  # the entries are committed; `kyodo audit seal` or the next request seals them
            current_app.logger.exception("access log of %s: sealing failed", chain_name(tenant))


def seal_soon(tenant: TenantRef | None, ids: list[int], attempts: int = 12) -> None:
    """Seal the chain without waiting behind another sealer, unless that one leaves our entries.

    Our entries were committed before we try: whoever takes the head after now seals them. If the
    head is busy we look again shortly; after ``attempts`` tries the next pass takes them.
    """
    log_cls, _head = _classes(tenant)
    for attempt in range(attempts):
        if seal_chain(tenant, wait=False) is not None:
            return
        with get_db().session(_schema(tenant)) as session:
            left = session.scalar(
                sa.select(sa.func.count()).where(log_cls.id.in_(ids), log_cls.seq.is_(None))
            )
        if not left:
            return
        time.sleep(0.002 * (attempt + 1))


def seal_chain(
    tenant: TenantRef | None, *, wait: bool = True, force_checkpoint: bool = False
) -> chain.SealResult | None:
    """One sealing transaction for one chain; also checkpoints a city's head when one is due."""
    log_cls, head_cls = _classes(tenant)
    with get_db().session(_schema(tenant)) as session:
        head = chain.lock_head(session, head_cls, skip_locked=not wait)
        if head is None:
            return None
        result = chain.seal(session, log_cls, head_cls, _key(chain_name(tenant)), head=head)
        forced = force_checkpoint and head.last_seq > head.checkpoint_seq
        if tenant is not None and result is not None and (forced or _checkpoint_due(head)):
            checkpoint(session, tenant, head)
        session.commit()
        return result


def _checkpoint_due(head: Any, now: dt.datetime | None = None) -> bool:
    if head.last_seq <= head.checkpoint_seq:
        return False
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return (
        head.last_seq - head.checkpoint_seq >= checkpoint_every()
        or head.checkpoint_at is None
        or now - head.checkpoint_at >= checkpoint_interval()
    )


def platform_record(
    session: Session, function: str, target: str, facts: dict[str, Any], operator: str = "platform:kyodo"
) -> PlatformAccessLog:
    """Append a record to the platform chain and seal it at once (the platform head is locked briefly)."""
    values = {
        "operator": operator,
        "function": function,
        "screen": "audit",
        "target": target,
        "search_shape": None,
        "mynumber_shown": False,
        "outcome": "ok",
        "detail": json.dumps(facts, sort_keys=True, separators=(",", ":")),
        "address": "",
        "user_agent": "kyodo",
        "at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }
    entry = chain.new_entry(PlatformAccessLog, _key("platform"), values)
    session.add(entry)
    session.flush()
    chain.seal(session, PlatformAccessLog, PlatformAccessLogHead, _key("platform"))
    return entry  # type: ignore[return-value]


def checkpoint(session: Session, tenant: TenantRef, head: Any) -> None:
    """Copy a city's head (seq, hash) into the platform chain, where the city's schema cannot reach."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    platform_record(session, "checkpoint", chain_name(tenant), {"seq": head.last_seq, "hash": head.last_hash})
    head.checkpoint_seq, head.checkpoint_at = head.last_seq, now
    session.flush()


@dataclass
class Anchor:
    """A record of a city's chain kept in the platform chain."""

    function: str  # checkpoint, purge, rekey
    platform_seq: int
    at: dt.datetime
    facts: dict[str, Any]


def anchors(session: Session, tenant: TenantRef) -> tuple[list[Anchor], str]:
    """The platform's records of this city, oldest first, each checked against the platform key."""
    key, found, problem = _key("platform"), [], ""
    rows = session.scalars(
        sa.select(PlatformAccessLog)
        .where(
            PlatformAccessLog.target == chain_name(tenant),
            PlatformAccessLog.function.in_(("checkpoint", "purge", "rekey", "restore")),
            PlatformAccessLog.seq.is_not(None),
        )
        .order_by(PlatformAccessLog.seq)
    )
    for row in rows:
        if row.hash != chain.digest(key, row.prev_hash or "", chain.values_of(row)):
            problem = problem or f"platform record {row.seq} was altered"
            continue
        found.append(Anchor(row.function, row.seq or 0, row.at, json.loads(row.detail)))
    return found, problem


def verify_chain(
    session: Session, tenant: TenantRef | None, signed: dict[str, Any] | None = None
) -> chain.VerifyResult:
    """Walk a chain, then hold its start and end against the platform's records (and a signed file)."""
    log_cls, head_cls = _classes(tenant)
    key = _key(chain_name(tenant))
    in_file = [c["seq"] for c in (signed or {}).get("chains", []) if c.get("chain") == chain_name(tenant)]
    if tenant is None:
        result = chain.verify(session, log_cls, head_cls, key, grace=seal_grace(), keep=in_file)
        if not result.ok or signed is None:
            return result
        rekeys = session.scalars(
            sa.select(PlatformAccessLog.at).where(
                PlatformAccessLog.function == "rekey", PlatformAccessLog.target == "platform"
            )
        ).all()
        return _against_file(result, signed, "platform", list(rekeys))
    found, problem = anchors(session, tenant)
    # A re-key or a restore from a backup starts the chain afresh: the records before it no longer apply.
    rekeyed = max((i for i, a in enumerate(found) if a.function in ("rekey", "restore")), default=-1)
    current = found[rekeyed if rekeyed >= 0 else 0 :] if found else []
    marks = [a for a in current if "seq" in a.facts]
    result = chain.verify(
        session, log_cls, head_cls, key, grace=seal_grace(), keep=[a.facts["seq"] for a in marks] + in_file
    )
    if not result.ok:
        return result
    if problem:
        return _broken(result, None, problem)
    platform = chain.verify(
        session, PlatformAccessLog, PlatformAccessLogHead, _key("platform"), grace=seal_grace()
    )
    if not platform.ok:
        return _broken(
            result, None, f"the platform chain that anchors this log is broken: {platform.problem}"
        )
    bases = [a for a in found if a.function in ("purge", "rekey", "restore")]
    base_seq, base_hash = (
        (bases[-1].facts["base_seq"], bases[-1].facts["base_hash"]) if bases else (0, chain.GENESIS)
    )
    if result.base_seq > base_seq:
        return _broken(
            result,
            result.base_seq + 1,
            f"entries before seq {result.base_seq + 1} removed without a purge record "
            f"(the last purge record keeps the log from seq {base_seq + 1})",
        )
    if (result.base_seq, result.base_hash) != (base_seq, base_hash):
        return _broken(result, result.base_seq + 1, "the start of the log does not match its purge record")
    for mark in marks:
        seq = mark.facts["seq"]
        if seq <= result.base_seq:
            continue  # purged since, by a recorded purge
        if seq > result.last_seq:
            return _broken(
                result,
                result.last_seq + 1,
                f"entries after seq {result.last_seq} are missing "
                f"(the platform {mark.function} of {mark.at:%Y-%m-%d %H:%M} UTC records seq {seq})",
            )
        if result.hashes.get(seq) != mark.facts["hash"]:
            return _broken(
                result,
                seq,
                f"entry {seq} differs from the platform {mark.function}: the log was rewritten after it",
            )
    last_rekey = found[rekeyed].at if rekeyed >= 0 else None
    return _against_file(result, signed, chain_name(tenant), [last_rekey] if last_rekey else [])


def _broken(result: chain.VerifyResult, seq: int | None, problem: str) -> chain.VerifyResult:
    result.ok, result.first_bad_seq, result.problem = False, seq, problem
    return result


def _against_file(
    result: chain.VerifyResult, signed: dict[str, Any] | None, name: str, rekeys: list[dt.datetime]
) -> chain.VerifyResult:
    if signed is None:
        return result
    item = next((c for c in signed["chains"] if c["chain"] == name), None)
    if item is None:
        return result
    seq, at = item["seq"], item["at"]
    if seq > result.last_seq:
        return _broken(
            result,
            result.last_seq + 1,
            f"entries after seq {result.last_seq} are missing (the signed checkpoint of {at} records seq {seq})",
        )
    if seq > result.base_seq:
        # Hash the chain up to that entry again to compare: only when the file predates no re-key.
        made = dt.datetime.fromisoformat(signed["made_at"])
        if not any(r > made for r in rekeys) and result.hashes.get(seq) != item["hash"]:
            return _broken(result, seq, f"entry {seq} differs from the signed checkpoint of {at}")
    return result


def live_tenants() -> list[TenantRef]:
    """Every city whose log may still grow (all but archived ones), for sealing and checkpoints."""
    from tenant_core.models import Tenant, TenantStatus

    with get_db().session() as session:
        rows = session.scalars(
            sa.select(Tenant).where(Tenant.status != TenantStatus.archived).order_by(Tenant.slug)
        ).all()
        return [TenantRef.from_row(t) for t in rows]


def seal_all(
    db_tenants: list[TenantRef], force_checkpoint: bool = False
) -> list[tuple[str, chain.SealResult | None]]:
    """Seal every city's chain and the platform's (for ``kyodo audit seal`` and the checkpoint)."""
    done = [(t.slug, seal_chain(t, force_checkpoint=force_checkpoint)) for t in db_tenants]
    done.append(("platform", seal_chain(None)))
    return done


def signed_checkpoint(db_tenants: list[TenantRef], private_key_pem: bytes) -> dict[str, Any]:
    """Seal and checkpoint every chain, and sign the list of heads with an Ed25519 key kept off the database."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    seal_all(db_tenants, force_checkpoint=True)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    chains = []
    for tenant in [*db_tenants, None]:
        _log, head_cls = _classes(tenant)
        with get_db().session(_schema(tenant)) as session:
            head = session.get_one(head_cls, 1)
            chains.append(
                {"chain": chain_name(tenant), "seq": head.last_seq, "hash": head.last_hash, "at": now}
            )
    payload = {"kind": "kyodo-audit-checkpoint", "made_at": now, "chains": chains}
    key = load_pem_private_key(private_key_pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the signing key is not an Ed25519 private key")
    signature = key.sign(_canonical_json(payload))
    return {"payload": payload, "algorithm": "ed25519", "signature": base64.b64encode(signature).decode()}


def _canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def read_signed_checkpoint(document: dict[str, Any], public_key_pem: bytes) -> dict[str, Any]:
    """The payload of a checkpoint file whose signature verifies; ValueError otherwise."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(public_key_pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the public key is not an Ed25519 key")
    try:
        key.verify(base64.b64decode(document["signature"]), _canonical_json(document["payload"]))
    except (InvalidSignature, KeyError, ValueError) as exc:
        raise ValueError(
            "the checkpoint file's signature does not verify: it was altered or signed by another key"
        ) from exc
    return dict(document["payload"])


def keypair() -> tuple[bytes, bytes]:
    """A new Ed25519 signing key and its public key, both PEM."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    return (
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )


# -- the key the chains are sealed with -------------------------------------------------------------

# The key check at start-up lives apart (``keycheck``): an app without pages runs it without importing this.
from tenant_core.audit.keycheck import check_key_at_startup, key_check_skipped  # noqa: E402, F401

# -- re-keying ---------------------------------------------------------------------------------------


class RekeyError(RuntimeError):
    pass


def _rekey_chain(session: Session, tenant: TenantRef | None, old_secret: str) -> tuple[str, Any]:
    log_cls, head_cls = _classes(tenant)
    name = chain_name(tenant)
    new_key, old_key = _key(name), _key(name, old_secret)
    head = chain.lock_head(session, head_cls, skip_locked=False)
    if head.key_check == chain.key_fingerprint(new_key):
        return "already under the current key", head
    head.key_check = None
    result = chain.verify(session, log_cls, head_cls, old_key, grace=dt.timedelta(days=36500))
    if not result.ok:
        raise RekeyError(f"{name}: does not verify with the old key: {result.problem}")
    prev, count = head.base_hash, 0
    for entry in session.scalars(sa.select(log_cls).where(log_cls.seq.is_not(None)).order_by(log_cls.seq)):
        entry.prev_hash = prev
        entry.hash = prev = chain.digest(new_key, prev, chain.values_of(entry))
        count += 1
    for entry in session.scalars(sa.select(log_cls).where(log_cls.seq.is_(None))):
        entry.mac = chain.entry_mac(new_key, chain.values_of(entry))
    head.last_hash, head.key_check = prev, chain.key_fingerprint(new_key)
    session.flush()
    return f"{count} entries re-anchored", head


def rekey(old_secret: str, tenants: list[TenantRef], operator: str) -> list[str]:
    """Verify every chain with the old key, re-hash it under the current one, and record it.

    The platform chain goes first, then each city in a transaction of its own; a chain already
    under the current key is left alone, so a run that stopped half-way can be run again.
    """
    lines = []
    with get_db().session() as session:
        message, head = _rekey_chain(session, None, old_secret)
        if not message.startswith("already"):
            platform_record(session, "rekey", "platform", {"seq": head.last_seq}, operator)
        session.commit()
        lines.append(f"platform: {message}")
    for tenant in tenants:
        with get_db().session(tenant.schema) as session:
            message, head = _rekey_chain(session, tenant, old_secret)
            if not message.startswith("already"):
                facts = {
                    "seq": head.last_seq,
                    "hash": head.last_hash,
                    "base_seq": head.base_seq,
                    "base_hash": head.base_hash,
                }
                platform_record(session, "rekey", chain_name(tenant), facts, operator)
                head.checkpoint_seq = head.last_seq
                head.checkpoint_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            session.commit()
            lines.append(f"{tenant.slug}: {message}")
    return lines


@dataclass(frozen=True)
class LogFilter:
    target: str = ""
    operator: str = ""
    function: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def apply(self, query: sa.Select[Any]) -> sa.Select[Any]:
        if self.target:
            query = query.where(AccessLog.target.contains(self.target, autoescape=True))
        if self.operator:
            query = query.where(AccessLog.operator.contains(self.operator, autoescape=True))
        if self.function:
            query = query.where(AccessLog.function == self.function)
        if self.date_from:
            query = query.where(AccessLog.at >= _utc_start_of(self.date_from))
        if self.date_to:
            query = query.where(AccessLog.at < _utc_start_of(self.date_to + dt.timedelta(days=1)))
        return query


def _utc_start_of(day: dt.date) -> dt.datetime:
    """Midnight in Japan of ``day``, as the naive UTC the log stores."""
    return dt.datetime.combine(day, dt.time(), JST).astimezone(dt.UTC).replace(tzinfo=None)


def local_time(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=dt.UTC).astimezone(JST)


def flags(entry: AccessLog) -> list[str]:
    """Why an entry deserves a second look: night, holiday, failed sign-in, bulk search."""
    local = local_time(entry.at)
    found = []
    if local.hour >= 22 or local.hour < 6:
        found.append(_("夜間"))
    if is_holiday(local.date()):
        found.append(_("休日"))
    if entry.function == "login" and entry.outcome != "ok":
        found.append(_("ログイン失敗"))
    if entry.function == "search" and (entry.search_shape or {}).get("results", 0) >= BULK_SEARCH_RESULTS:
        found.append(_("大量検索"))
    return found


def entries(
    session: Session, log_filter: LogFilter, page: int, per_page: int = 50
) -> tuple[list[AccessLog], int]:
    query = log_filter.apply(sa.select(AccessLog))
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AccessLog.id.desc()).offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


# In words for the staff who read it (tenant_core.audit.reading); the codes stay beside the words
# that replace them where a reader must match them (操作者ID, 対象コード) or check them (ハッシュ).
CSV_COLUMNS = (
    "seq",
    "日時(JST)",
    "操作者",
    "操作者ID",
    "端末アドレス",
    "ユーザーエージェント",
    "操作",
    "業務・画面",
    "対象",
    "対象コード",
    "検索条件",
    "個人番号表示",
    "結果",
    "結果コード",
    "詳細",
    "注意",
    "ハッシュ",
)
_EXPORT_CHUNK = 1000


def _csv_rows(session: Session, entries: list[AccessLog], tenant: Any) -> list[list[Any]]:
    from tenant_core.audit.reading import read_entries

    return [
        [
            e.seq if e.seq is not None else "",
            local_time(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            r.operator,
            e.operator,
            e.address,
            e.user_agent,
            r.function,
            r.screen,
            r.target,
            e.target or "",
            r.search,
            "あり" if e.mynumber_shown else "",
            r.outcome,
            e.outcome,
            r.detail,
            "・".join(flags(e)),
            e.hash or "",
        ]
        for r in read_entries(session, tenant, entries)
        for e in (r.entry,)
    ]


def export_csv(session: Session, log_filter: LogFilter, tenant: Any = None) -> str:
    """The filtered log as CSV (UTF-8 with BOM so that Excel opens it in Japanese; formulas neutralised),
    in words: names are looked up a chunk of entries at a time."""
    query = log_filter.apply(sa.select(AccessLog)).order_by(AccessLog.id)

    def rows() -> Iterator[list[Any]]:
        chunk: list[AccessLog] = []
        for entry in session.scalars(query.execution_options(yield_per=_EXPORT_CHUNK)):
            chunk.append(entry)
            if len(chunk) >= _EXPORT_CHUNK:
                yield from _csv_rows(session, chunk, tenant)
                chunk = []
        if chunk:
            yield from _csv_rows(session, chunk, tenant)

    return exports.csv_text(CSV_COLUMNS, rows())


def purge_expired(
    session: Session,
    retention_years: int,
    today: dt.date | None = None,
    *,
    tenant: TenantRef,
    operator: str = "platform:kyodo",
) -> int:
    """Delete entries older than the city's retention, move the chain's anchor past them, and record it.

    The record goes into the platform chain with what was removed (range, count, rule, who) and the
    new anchor, so ``verify`` can tell a purge from rows deleted behind Kyodo's back. The caller commits.
    """
    today = today or japan_today()
    cutoff = _utc_start_of(today.replace(year=today.year - retention_years))
    head = chain.lock_head(session, AccessLogHead, skip_locked=False)
    chain.seal(session, AccessLog, AccessLogHead, _key(chain_name(tenant)), head=head)
    last = session.scalars(
        sa.select(AccessLog)
        .where(AccessLog.at < cutoff, AccessLog.seq.is_not(None))
        .order_by(AccessLog.seq.desc())
        .limit(1)
    ).first()
    if last is None or last.seq is None:
        return 0
    first = head.base_seq + 1
    result = session.execute(sa.delete(AccessLog).where(AccessLog.seq <= last.seq))
    removed = getattr(result, "rowcount", 0) or 0  # a DML result; Result's type does not say so
    head.base_seq, head.base_hash = last.seq, last.hash or ""
    facts = {
        "from": first,
        "to": last.seq,
        "count": removed,
        "rule": f"older than {retention_years} years (before {cutoff:%Y-%m-%d %H:%M} UTC)",
        "by": operator,
        "base_seq": head.base_seq,
        "base_hash": head.base_hash,
        "seq": head.last_seq,
        "hash": head.last_hash,
    }
    platform_record(session, "purge", chain_name(tenant), facts, operator)
    head.checkpoint_seq = head.last_seq
    head.checkpoint_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    session.flush()
    return removed
