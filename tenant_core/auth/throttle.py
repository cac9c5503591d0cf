"""Failed sign-ins slow the source that guesses, not the account's owner.

Each (city, login, client address) has its own failure counts in the rate-limit storage (Redis when
configured, memory otherwise, memory again while Redis is unreachable). Past the city's
``lockout_threshold`` failures in ``lockout_minutes`` that source is refused for the login, and
the allowance shrinks over longer windows (twice the threshold per 4 windows, four times per day),
so a single address can try at most a few dozen passwords a day. The owner, from another address,
is not affected. Only far beyond that (``ACCOUNT_LOCK_FAILURES`` failures, which takes several
addresses) is the account itself locked, until the city administrator lifts the lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from typing import Any

from flask import Flask, current_app
from limits import RateLimitItem, RateLimitItemPerDay, RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from tenant_core.auth.policy import SecurityPolicy

log = logging.getLogger("kyodo.auth")

# Failures of one account, from every address, before the account itself is locked.
ACCOUNT_LOCK_FAILURES = 100
_RETRY_PRIMARY_SECONDS = 60


def tiers(policy: SecurityPolicy) -> list[RateLimitItem]:
    """The failures one source may make for one login: short, longer and daily windows."""
    n, minutes = policy.lockout_threshold, policy.lockout_minutes
    return [
        RateLimitItemPerMinute(n, minutes),
        RateLimitItemPerMinute(2 * n, min(4 * minutes, 1440)),
        RateLimitItemPerDay(4 * n),
    ]


class SourceThrottle:
    """Failure counts per (city, login, address), with an in-memory fallback when Redis is down."""

    def __init__(self, uri: str | None, options: dict[str, Any] | None = None) -> None:
        self._memory = FixedWindowRateLimiter(MemoryStorage())
        self._primary: FixedWindowRateLimiter | None = None
        if uri:
            storage = storage_from_string(uri, **(options or {}))
            if not isinstance(storage, Storage):
                raise TypeError(f"not a synchronous rate-limit storage: {uri}")
            self._primary = FixedWindowRateLimiter(storage)
        self._dead_since: float | None = None

    def _strategies(self) -> list[FixedWindowRateLimiter]:
        if self._primary is None:
            return [self._memory]
        if self._dead_since is not None and time.monotonic() - self._dead_since < _RETRY_PRIMARY_SECONDS:
            return [self._memory]
        return [self._primary, self._memory]

    def _run(self, action: str, *args: Any) -> Any:
        for strategy in self._strategies():
            try:
                result = getattr(strategy, action)(*args)
            except Exception:
                if self._dead_since is None:
                    log.warning("sign-in failure counts: storage unreachable, counting in memory")
                self._dead_since = time.monotonic()
                continue
            if strategy is self._primary and self._dead_since is not None:
                log.info("sign-in failure counts: storage reachable again")
                self._dead_since = None
            return result
        raise RuntimeError("unreachable: memory storage failed")

    @staticmethod
    def key(scope: str, login: str, address: str) -> str:
        # Hashed: the storage holds no login or address in clear.
        return hashlib.sha256(f"{scope}\x00{login.lower()}\x00{address}".encode()).hexdigest()[:32]

    def blocked(self, key: str, policy: SecurityPolicy) -> bool:
        return not all(self._run("test", item, "signin-fail", key) for item in tiers(policy))

    def failed(self, key: str, policy: SecurityPolicy) -> None:
        for item in tiers(policy):
            self._run("hit", item, "signin-fail", key)

    def succeeded(self, key: str, policy: SecurityPolicy) -> None:
        for item in tiers(policy):
            self._run("clear", item, "signin-fail", key)

    def reset(self) -> None:
        self._memory.storage.reset()
        if self._primary is not None:
            with contextlib.suppress(Exception):  # an unreachable Redis has nothing to reset
                self._primary.storage.reset()


def init_app(app: Flask, uri: str | None, options: dict[str, Any]) -> None:
    app.extensions["kyodo.signin_throttle"] = SourceThrottle(uri, options)


def get_throttle() -> SourceThrottle:
    return current_app.extensions["kyodo.signin_throttle"]
