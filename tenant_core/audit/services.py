"""Writing the access log from a request, and reading it back for the city administrator."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import sqlalchemy as sa
from flask import current_app, g, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tenant_core import exports
from tenant_core.audit import chain
from tenant_core.audit.models import AccessLog, AccessLogHead, PlatformAccessLog, PlatformAccessLogHead
from tenant_core.extensions import get_db
from tenant_core.japanese import japan_today
from tenant_core.tenancy import TenantRef

JST = ZoneInfo("Asia/Tokyo")
BULK_SEARCH_RESULTS = 100  # a search returning this many records or more is flagged


def _key(chain_name: str) -> bytes:
    return chain.chain_key(current_app.config["SECRET_KEY"], chain_name)


def chain_name(tenant: TenantRef | None) -> str:
    return f"tenant:{tenant.slug}" if tenant else "platform"


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

    In a request, the entry is written when the request's own transaction has ended (committed
    or rolled back), in a transaction of its own, before the response leaves: a refusal is
    recorded although the request rolls back, a request never holds two connections, and if the
    log cannot be written the response becomes an error instead of showing the data.
    Outside a request (jobs, the CLI) it is written at once.
    """
    tenant = tenant if tenant is not None else g.get("tenant")
    user = g.get("user")
    values: dict[str, Any] = {
        "operator": operator or (user.operator_id if user else "-"),
        "function": function,
        "screen": screen or (request.endpoint or request.path if has_request_context() else "cli"),
        "target": target,
        "search_shape": search,
        "mynumber_shown": mynumber_shown,
        "outcome": outcome,
        "detail": detail[:500],
        "address": (request.remote_addr or "") if has_request_context() else "",
        "user_agent": (request.user_agent.string[:300] if has_request_context() else "kyodo-cli"),
    }
    values["at"] = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    if has_request_context():
        g.setdefault("audit_pending", []).append((tenant, values))
    else:
        _write(tenant, values)


def _write(tenant: TenantRef | None, values: dict[str, Any]) -> None:
    with get_db().session(tenant.schema if tenant else None) as session:
        if tenant is None:
            chain.append(session, PlatformAccessLog, PlatformAccessLogHead, _key("platform"), values)
        else:
            chain.append(session, AccessLog, AccessLogHead, _key(chain_name(tenant)), values)
        session.commit()


def write_pending() -> None:
    """Write the entries this request recorded; the request boundary calls it after its commit."""
    pending = g.pop("audit_pending", [])
    for tenant, values in pending:
        _write(tenant, values)


def verify_chain(session: Session, tenant: TenantRef | None) -> chain.VerifyResult:
    if tenant is None:
        return chain.verify(session, PlatformAccessLog, PlatformAccessLogHead, _key("platform"))
    return chain.verify(session, AccessLog, AccessLogHead, _key(chain_name(tenant)))


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


_JP_HOLIDAYS = holidays.Japan(language="ja")


def flags(entry: AccessLog) -> list[str]:
    """Why an entry deserves a second look: night, holiday, failed sign-in, bulk search."""
    local = local_time(entry.at)
    found = []
    if local.hour >= 22 or local.hour < 6:
        found.append(_("夜間"))
    if local.weekday() >= 5 or local.date() in _JP_HOLIDAYS:
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
    rows = session.scalars(query.order_by(AccessLog.seq.desc()).offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


CSV_COLUMNS = (
    "seq",
    "日時(JST)",
    "操作者",
    "端末アドレス",
    "ユーザーエージェント",
    "機能",
    "画面",
    "対象",
    "検索条件の形",
    "個人番号表示",
    "結果",
    "詳細",
    "注意",
    "ハッシュ",
)


def export_csv(session: Session, log_filter: LogFilter) -> str:
    """The filtered log as CSV (UTF-8 with BOM so that Excel opens it in Japanese; formulas neutralised)."""
    query = log_filter.apply(sa.select(AccessLog)).order_by(AccessLog.seq)
    rows = (
        [
            e.seq,
            local_time(e.at).strftime("%Y-%m-%d %H:%M:%S"),
            e.operator,
            e.address,
            e.user_agent,
            e.function,
            e.screen,
            e.target or "",
            "" if e.search_shape is None else sorted(e.search_shape.items()),
            "あり" if e.mynumber_shown else "",
            e.outcome,
            e.detail,
            "・".join(flags(e)),
            e.hash,
        ]
        for e in session.scalars(query.execution_options(yield_per=1000))
    )
    return exports.csv_text(CSV_COLUMNS, rows)


def purge_expired(session: Session, retention_years: int, today: dt.date | None = None) -> int:
    """Delete entries older than the city's retention and move the chain's anchor past them."""
    today = today or japan_today()
    cutoff = _utc_start_of(today.replace(year=today.year - retention_years))
    last = session.scalars(
        sa.select(AccessLog).where(AccessLog.at < cutoff).order_by(AccessLog.seq.desc()).limit(1)
    ).first()
    if last is None:
        return 0
    head = session.get_one(AccessLogHead, 1)
    result = session.execute(sa.delete(AccessLog).where(AccessLog.seq <= last.seq))
    removed = getattr(result, "rowcount", 0)  # a DML result; Result's type does not say so
    head.base_seq, head.base_hash = last.seq, last.hash
    session.flush()
    return removed or 0
