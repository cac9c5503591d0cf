"""Password hashing (argon2id) and the password rules a city sets."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _

from tenant_core.auth.policy import SecurityPolicy

_PRODUCTION = PasswordHasher()  # argon2-cffi's recommended parameters
# Tests hash hundreds of passwords; the cheap profile keeps them fast and is never used elsewhere.
_TESTS = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def _hasher() -> PasswordHasher:
    testing = has_app_context() and current_app.config.get("KYODO_ENV") == "test"
    return _TESTS if testing else _PRODUCTION


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


_DUMMY_HASH: dict[str, str] = {}


def burn_time(password: str) -> None:
    """Verify against a dummy hash so that an unknown login takes as long as a wrong password."""
    key = "test" if _hasher() is _TESTS else "prod"
    if key not in _DUMMY_HASH:
        _DUMMY_HASH[key] = _hasher().hash("not-a-real-password")
    verify_password(_DUMMY_HASH[key], password)


def password_problems(password: str, policy: SecurityPolicy, *, login: str, display_name: str) -> list[str]:
    """Every rule the password breaks, as messages for the person (translated); empty when acceptable."""
    problems = []
    if len(password) < policy.password_min_length:
        problems.append(
            _("パスワードは%(length)s文字以上にしてください。", length=policy.password_min_length)
        )
    lowered = password.casefold()
    name = display_name.replace(" ", "").replace("　", "")
    if len(login) >= 3 and login.casefold() in lowered:
        problems.append(_("パスワードにログインIDを含めないでください。"))
    if len(name) >= 3 and name.casefold() in lowered:
        problems.append(_("パスワードに氏名を含めないでください。"))
    if password.strip() != password:
        problems.append(_("パスワードの先頭と末尾に空白は使えません。"))
    return problems
