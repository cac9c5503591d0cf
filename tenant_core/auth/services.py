"""Account operations: create, roles, disable, passwords, sign-in, server-side sessions, TOTP.

Services flush; the request boundary (or the CLI) commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any, cast

import pyotp
import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, joinedload, object_session

from tenant_core.auth import passwords
from tenant_core.auth.current import CurrentUser
from tenant_core.auth.models import User, UserRole, UserSession
from tenant_core.auth.policy import PLATFORM_POLICY, SecurityPolicy
from tenant_core.auth.roles import STAFF_BASE, check_role_names, permissions_for
from tenant_core.extensions import get_db
from tenant_core.models import Tenant, utcnow

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AccountError(ValueError):
    """An account operation refused; the message is for the person who asked (translated)."""


def policy_for_tenant(tenant: Tenant | None) -> SecurityPolicy:
    """The city's security settings, read through the parameter layer (once per request)."""
    if tenant is None:
        return PLATFORM_POLICY
    from tenant_core.params.services import param_set_for

    session = object_session(tenant)
    if session is None:
        with get_db().session() as own:
            return SecurityPolicy.from_params(param_set_for(own, tenant.id, tenant.consortium_id).value)
    return SecurityPolicy.from_params(param_set_for(session, tenant.id, tenant.consortium_id).value)


def _check_password(password: str, policy: SecurityPolicy, login: str, display_name: str) -> None:
    problems = passwords.password_problems(password, policy, login=login, display_name=display_name)
    if problems:
        raise AccountError(" ".join(problems))


def create_user(
    session: Session,
    tenant: Tenant | None,
    login: str,
    display_name: str,
    password: str,
    roles: list[str] | tuple[str, ...],
) -> User:
    """A staff account of ``tenant`` (or a platform operator when ``tenant`` is None)."""
    if not LOGIN_PATTERN.fullmatch(login):
        raise AccountError(_("ログインIDは半角英小文字・数字・記号(._-)の2〜64文字で入力してください。"))
    try:
        role_names = check_role_names(list(roles), platform=tenant is None)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    tenant_id = tenant.id if tenant else None
    exists = session.scalar(
        sa.select(User.id).where(
            User.login == login,
            User.tenant_id.is_(None) if tenant_id is None else User.tenant_id == tenant_id,
        )
    )
    if exists:
        raise AccountError(_("ログインID %(login)s は既に使われています。", login=login))
    _check_password(password, policy_for_tenant(tenant), login, display_name)
    user = User(
        tenant_id=tenant_id,
        login=login,
        display_name=display_name,
        password_hash=passwords.hash_password(password),
        roles=[UserRole(role=r) for r in role_names],
    )
    session.add(user)
    session.flush()
    return user


def tenant_user(session: Session, tenant_id: int, user_id: int) -> User | None:
    """A user of this city only: another city's id finds nothing."""
    return session.scalar(sa.select(User).where(User.id == user_id, User.tenant_id == tenant_id))


def tenant_users(session: Session, tenant_id: int, page: int, per_page: int = 20) -> tuple[list[User], int]:
    base = sa.select(User).where(User.tenant_id == tenant_id)
    total = session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0
    rows = session.scalars(base.order_by(User.login).offset((page - 1) * per_page).limit(per_page))
    return list(rows), total


def set_roles(session: Session, user: User, roles: list[str]) -> None:
    try:
        names = check_role_names(roles, platform=user.tenant_id is None)
    except ValueError as exc:
        raise AccountError(str(exc)) from None
    user.roles = [UserRole(role=r) for r in names]
    session.flush()


def end_sessions(session: Session, user_id: int, reason: str) -> int:
    # An UPDATE's result is a CursorResult (it has the row count); Session.execute is typed as Result.
    result = cast(
        CursorResult[Any],
        session.execute(
            sa.update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .values(ended_at=utcnow(), ended_reason=reason)
        ),
    )
    return result.rowcount or 0


def set_active(session: Session, user: User, active: bool) -> None:
    """Disable or enable an account; disabling ends every session it holds at once."""
    user.active = active
    if active:
        user.failed_logins, user.locked_until = 0, None
    else:
        end_sessions(session, user.id, "disabled")
    session.flush()


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not passwords.verify_password(user.password_hash, current):
        raise AccountError(_("現在のパスワードが正しくありません。"))
    if current == new:
        raise AccountError(_("新しいパスワードは現在のものと違うものにしてください。"))
    _check_password(new, policy_for_tenant(user.tenant), user.login, user.display_name)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    session.flush()


def reset_password(session: Session, user: User, new: str) -> None:
    """An administrator sets a new password; the account's sessions end."""
    _check_password(new, policy_for_tenant(user.tenant), user.login, user.display_name)
    user.password_hash = passwords.hash_password(new)
    user.password_changed_at = utcnow()
    user.failed_logins, user.locked_until = 0, None
    end_sessions(session, user.id, "password reset")
    session.flush()


@dataclass
class SignInResult:
    user: User | None
    problem: str | None = None  # for the sign-in page (translated)
    outcome: str = "ok"  # ok, failed, locked, disabled, totp
    detail: str = ""


# The account lock set by too many failures lasts until an administrator lifts it.
LOCKED_UNTIL_LIFTED = dt.datetime(9999, 12, 31)


def authenticate(session: Session, tenant: Tenant | None, login: str, password: str) -> SignInResult:
    """Check a login and password for one city (or the platform) and count failures.

    Slowing a guessing source is the view's job (:mod:`tenant_core.auth.throttle`); here the
    account counts every failure, and only past ``ACCOUNT_LOCK_FAILURES`` (far more than one address
    can make) is the account itself locked, until the city administrator lifts the lock.
    """
    from tenant_core.auth.throttle import ACCOUNT_LOCK_FAILURES

    generic = _("ログインIDまたはパスワードが正しくありません。")
    tenant_clause = User.tenant_id.is_(None) if tenant is None else User.tenant_id == tenant.id
    user = session.scalar(sa.select(User).where(User.login == login, tenant_clause))
    if user is None:
        passwords.burn_time(password)
        return SignInResult(None, generic, "failed", "unknown login")
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        return SignInResult(None, locked_message(), "locked", "account locked")
    if not user.active:
        passwords.burn_time(password)
        return SignInResult(None, generic, "disabled", "account disabled")
    if not passwords.verify_password(user.password_hash, password):
        user.failed_logins += 1
        detail = f"wrong password ({user.failed_logins})"
        if user.failed_logins >= ACCOUNT_LOCK_FAILURES:
            user.locked_until = LOCKED_UNTIL_LIFTED
            detail += "; account locked until an administrator lifts the lock"
        session.flush()
        return SignInResult(None, generic, "failed", detail)
    user.failed_logins, user.locked_until = 0, None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    session.flush()
    return SignInResult(user)


def locked_message() -> str:
    return _("アカウントが一時的にロックされています。しばらくしてから再度お試しください。")


def is_locked(user: User) -> bool:
    return user.is_locked


def unlock(session: Session, user: User) -> None:
    """The city administrator lifts the lock of an account and clears its failure count."""
    user.failed_logins, user.locked_until = 0, None
    session.flush()


def verify_totp(user: User, code: str) -> bool:
    if not user.totp_secret:
        return False
    return pyotp.TOTP(user.totp_secret).verify(code.strip(), valid_window=1)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, user: User, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.login, issuer_name=issuer)


def enrol_totp(session: Session, user: User, secret: str, code: str) -> None:
    if not pyotp.TOTP(secret).verify(code.strip(), valid_window=1):
        raise AccountError(
            _("確認コードが正しくありません。認証アプリに表示された6桁の数字を入力してください。")
        )
    user.totp_secret, user.totp_enabled = secret, True
    session.flush()


def _token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, address: str, user_agent: str) -> str:
    """Open a server-side session and return the token for the cookie (a new one every sign-in)."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            id=_token_id(token),
            user_id=user.id,
            tenant_id=user.tenant_id,
            address=address[:64],
            user_agent=user_agent[:300],
        )
    )
    user.last_login_at = utcnow()
    session.flush()
    return token


def end_session(session: Session, token: str, reason: str) -> None:
    session.execute(
        sa.update(UserSession)
        .where(UserSession.id == _token_id(token), UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_reason=reason)
    )


@dataclass
class SessionCheck:
    user: CurrentUser | None
    refused: str | None = None  # why a presented token is no longer accepted
    touch_due: bool = False  # last_seen_at is over a minute old: write it (touch_session)


# last_seen_at is written at most once a minute per session: most requests only read.
_TOUCH_EVERY = dt.timedelta(minutes=1)


def resolve_session(session: Session, token: str, now: dt.datetime | None = None) -> SessionCheck:
    """Turn a cookie token into the signed-in user, enforcing the city's timeouts."""
    now = now or utcnow()
    # One statement: the session, its user, the user's roles and city (for the city's timeouts).
    row = (
        session.execute(
            sa.select(UserSession)
            .where(UserSession.id == _token_id(token))
            .options(
                joinedload(UserSession.user).joinedload(User.roles),
                joinedload(UserSession.user).joinedload(User.tenant),
            )
        )
        .unique()
        .scalar_one_or_none()
    )
    if row is None:
        return SessionCheck(None, "unknown session")
    if row.ended_at is not None:
        return SessionCheck(None, f"session ended ({row.ended_reason})")
    user = row.user
    policy = policy_for_tenant(user.tenant)
    reason = None
    if not user.active:
        reason = "disabled"
    elif now - row.last_seen_at > dt.timedelta(minutes=policy.session_idle_minutes):
        reason = "idle timeout"
    elif now - row.created_at > dt.timedelta(hours=policy.session_max_hours):
        reason = "absolute timeout"
    if reason:
        row.ended_at, row.ended_reason = now, reason
        return SessionCheck(None, f"session ended ({reason})")
    return SessionCheck(_current_user(user, row.id, policy), touch_due=now - row.last_seen_at > _TOUCH_EVERY)


def touch_session(session: Session, session_id: str, now: dt.datetime | None = None) -> None:
    """Move the idle clock, at most once a minute, in a transaction that writes first.

    On SQLite a transaction that has read and then writes fails at once ("database is locked") when
    another connection wrote in between; one that starts with its write waits its turn.
    """
    now = now or utcnow()
    session.execute(
        sa.update(UserSession)
        .where(UserSession.id == session_id, UserSession.last_seen_at < now - _TOUCH_EVERY)
        .values(last_seen_at=now)
    )


def signed_in_user(user: User, token: str) -> CurrentUser:
    """The user of a session just started, as the guard will resolve it (for Flask-Login's login_user)."""
    return _current_user(user, _token_id(token), policy_for_tenant(user.tenant))


def _current_user(user: User, session_id: str, policy: SecurityPolicy) -> CurrentUser:
    perms = permissions_for(user.role_names) | (STAFF_BASE if user.tenant_id is not None else frozenset())
    return CurrentUser(
        id=user.id,
        login=user.login,
        display_name=user.display_name,
        tenant_id=user.tenant_id,
        operator_id=user.operator_id,
        roles=tuple(user.role_names),
        permissions=perms,
        session_id=session_id,
        totp_enabled=user.totp_enabled,
        must_enrol_totp=policy.totp_required and not user.totp_enabled,
    )
