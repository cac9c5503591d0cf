"""Changing a value: validation, new versions, scheduled changes and their cancellation, history.

Nothing is overwritten: every change, reset or revert is a new version. The services flush and
the caller commits. Refusals raise ``ParamError`` naming every problem, in the person's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tenant_core.concurrency import ConflictError, lock_rows
from tenant_core.inputs import control_message, has_control_characters
from tenant_core.models import Consortium, utcnow
from tenant_core.params.declare import CITY, CONSORTIUM, Param, ValueProblem
from tenant_core.params.models import ParamVersion, Scope
from tenant_core.params.registry import UnknownParameter, registry
from tenant_core.params.resolution import forget_cached, today

PLATFORM = "platform"  # the operator: tenant.toml, the command line


class ParamError(ValueError):
    """A change refused; ``problems`` maps each key to its messages. Nothing was changed."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.problems = problems
        super().__init__(" / ".join(f"{key}: {' '.join(messages)}" for key, messages in problems.items()))

    @classmethod
    def one(cls, key: str, *messages: str) -> ParamError:
        return cls({key: list(messages)})

    @property
    def messages(self) -> list[str]:
        """Every message, keys left out (a page about one parameter names it once)."""
        return [m for messages in self.problems.values() for m in messages]


@dataclass(frozen=True)
class Actor:
    """Who changes a value: a city administrator, the secretariat, or the operator."""

    operator: str
    kind: str = CITY  # city, consortium or platform

    @classmethod
    def platform(cls, who: str = "kyodo-cli") -> Actor:
        return cls(who, PLATFORM)


def _may_change(decl: Param, scope: Scope, actor: Actor) -> str | None:
    if actor.kind == PLATFORM:
        return None
    needed = CITY if scope == Scope.tenant else CONSORTIUM
    if actor.kind != needed or needed not in decl.editable_by:
        if scope == Scope.tenant:
            return _("この設定は団体の管理者では変更できません。")
        return _("この設定は協議会の管理者では変更できません。")
    return None


def check_change(
    decl: Param,
    raw: Any,
    *,
    scope: Scope,
    actor: Actor,
    reason: str,
    effective_from: dt.date | None,
    reset: bool = False,
    on: dt.date | None = None,
) -> tuple[Any, dt.date, list[str]]:
    """Validate a change without writing it: the typed value, its date and every problem found."""
    on = on or today()
    problems: list[str] = []
    refusal = _may_change(decl, scope, actor)
    if refusal:
        problems.append(refusal)
    if not (reason or "").strip():
        problems.append(_("変更理由を入力してください。"))
    elif len(reason.strip()) > 500:
        problems.append(_("変更理由は500文字以内で入力してください。"))
    elif has_control_characters(reason.strip(), multiline=True):
        problems.append(control_message(_("変更理由")))
    when = effective_from or on
    if when < on:
        problems.append(
            _(
                "適用開始日 %(date)s は過去の日付です。過去の履歴は書き換えられません（今日以降を指定してください）。",
                date=when.isoformat(),
            )
        )
    elif when > on and not decl.effective_dated:
        problems.append(_("この設定は日付を指定した変更ができません（即日適用のみ）。"))
    value = None
    if not reset:
        try:
            value = decl.parse(raw)
        except ValueProblem as exc:
            problems.extend(exc.messages)
    return value, when, problems


def change(
    session: Session,
    key: str,
    raw: Any,
    *,
    tenant_id: int | None,
    consortium_id: int,
    actor: Actor,
    reason: str,
    legal_basis: str | None = None,
    effective_from: dt.date | None = None,
    reset: bool = False,
    on: dt.date | None = None,
) -> ParamVersion:
    """Record a new version for a city (``tenant_id``) or for its consortium (``tenant_id=None``).

    ``reset`` removes the level's own value from that date (a revert is a new version too).
    """
    try:
        decl = registry().get(key)
    except UnknownParameter as exc:
        raise ParamError.one(key, str(exc)) from None
    scope = Scope.tenant if tenant_id is not None else Scope.consortium
    value, when, problems = check_change(
        decl,
        raw,
        scope=scope,
        actor=actor,
        reason=reason,
        effective_from=effective_from,
        reset=reset,
        on=on,
    )
    if legal_basis and len(legal_basis) > 300:
        problems.append(_("根拠法令等は300文字以内で入力してください。"))
    elif legal_basis and has_control_characters(legal_basis):
        problems.append(control_message(_("根拠法令等")))
    if problems:
        raise ParamError({key: problems})
    version = ParamVersion(
        scope=scope,
        tenant_id=tenant_id,
        consortium_id=consortium_id,
        key=key,
        value=None if reset else decl.to_json(value),
        reset=reset,
        effective_from=when,
        created_by=actor.operator[:120],
        reason=reason.strip(),
        legal_basis=(legal_basis or "").strip() or None,
    )
    session.add(version)
    session.flush()
    forget_cached()
    return version


def latest_version_id(session: Session, key: str, tenant_id: int, consortium_id: int) -> int:
    """The version token of one key as a city sees it: the id of the newest version of its own or its
    consortium's (0 when there is none). A page or an API client sends it back with a change."""
    query = sa.select(sa.func.max(ParamVersion.id)).where(
        ParamVersion.key == key, _of_city(tenant_id, consortium_id)
    )
    return session.scalar(query) or 0


def lock_key(session: Session, key: str, tenant_id: int, consortium_id: int, based_on: int | None) -> None:
    """Serialise changes of the consortium's parameters and check the page was not stale.

    The consortium's row is locked (``FOR NO KEY UPDATE``: new versions may still refer to it), so two
    changes of a key take turns; then, if ``based_on`` is given (the token the page or the client
    read), a version recorded since raises ``ConflictError``: the second change would silently
    supersede a value its author never saw. None (the command line, tenant.toml) checks nothing.
    """
    session.scalars(
        sa.select(Consortium)
        .where(Consortium.id == consortium_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).all()
    if based_on is not None and latest_version_id(session, key, tenant_id, consortium_id) != based_on:
        raise ConflictError(
            _(
                "この設定は、表示した後に他の職員が変更しました。最新の値と履歴を確認してから、もう一度変更してください。"
            ),
            target=f"param:{key}",
        )


def _of_city(tenant_id: int, consortium_id: int) -> Any:
    """The versions a city sees: its own and its consortium's (never another city's)."""
    return sa.or_(
        ParamVersion.tenant_id == tenant_id,
        sa.and_(ParamVersion.scope == Scope.consortium, ParamVersion.consortium_id == consortium_id),
    )


def version_of(session: Session, version_id: int, tenant_id: int, consortium_id: int) -> ParamVersion | None:
    """A version of this city or of its consortium; another city's id finds nothing."""
    return session.scalar(
        sa.select(ParamVersion).where(ParamVersion.id == version_id, _of_city(tenant_id, consortium_id))
    )


def cancel(
    session: Session, version: ParamVersion, actor: Actor, reason: str, on: dt.date | None = None
) -> None:
    """Withdraw a scheduled change before its date; it stays in the history, flagged.

    The version's row is locked and reloaded first: of two cancellations at once, the second is told
    the change is already cancelled.
    """
    lock_rows(session, ParamVersion, [version.id])
    on = on or today()
    problems = []
    refusal = _may_change(registry().get(version.key), Scope(version.scope), actor)
    if refusal:
        problems.append(refusal)
    if version.cancelled:
        problems.append(_("この変更予定は既に取り消されています。"))
    elif version.effective_from <= on:
        problems.append(
            _("適用開始日を迎えた変更は取り消せません。元に戻すには新しい変更を登録してください。")
        )
    if not (reason or "").strip():
        problems.append(_("取消理由を入力してください。"))
    elif has_control_characters(reason.strip(), multiline=True):
        problems.append(control_message(_("取消理由")))
    if problems:
        raise ParamError({version.key: problems})
    version.cancelled = True
    version.cancelled_at = utcnow()
    version.cancelled_by = actor.operator[:120]
    version.cancel_reason = reason.strip()[:500]
    session.flush()
    forget_cached()


def history(session: Session, key: str, tenant_id: int, consortium_id: int) -> list[ParamVersion]:
    """Every version of one key for the city and its consortium, cancelled ones included, newest first."""
    registry().get(key)
    return list(
        session.scalars(
            sa.select(ParamVersion)
            .where(ParamVersion.key == key, _of_city(tenant_id, consortium_id))
            .order_by(ParamVersion.created_at.desc(), ParamVersion.id.desc())
        )
    )
