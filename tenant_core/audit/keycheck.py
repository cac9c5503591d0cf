"""Refusing to start with a secret key that did not seal this database's access logs.

Apart from ``services`` so that every start (the web app, a command's app without pages) can run it
without importing what writing and reading the log needs; ``services`` re-exports both names.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from flask import Flask

from tenant_core.audit import chain
from tenant_core.audit.models import PlatformAccessLog, PlatformAccessLogHead
from tenant_core.config import ConfigError

_skip_key_check: ContextVar[bool] = ContextVar("kyodo_skip_audit_key_check", default=False)


@contextmanager
def key_check_skipped() -> Iterator[None]:
    """Build an app that does not check its key against the chains: for ``kyodo audit rekey`` (it
    replaces the key), and for a command that never opens the database, which may be down (the check
    would wait on it), and checks the key against what it reads instead (a restored archive's log)."""
    token = _skip_key_check.set(True)
    try:
        yield
    finally:
        _skip_key_check.reset(token)


def check_key_at_startup(app: Flask) -> None:
    """Refuse to start with a key that did not seal the chains of this database.

    One query: the platform chain's key fingerprint (or, before it has one, its newest entry).
    Every city's chain is checked the same way whenever it is sealed.
    """
    if _skip_key_check.get():
        return
    key = chain.chain_key(app.config["SECRET_KEY"], "platform")
    db = app.extensions["kyodo.db"]
    try:
        with db.session() as session:
            head = session.get(PlatformAccessLogHead, 1)
            if head is None:
                return
            try:
                chain.check_key(session, PlatformAccessLog, head, key)
            except chain.KeyMismatch:
                raise ConfigError(
                    "KYODO_SECRET_KEY: this key did not seal the access logs in this database; "
                    "start with the key they were sealed with, or re-anchor them under this one with "
                    "`kyodo audit rekey --old-key-file FILE`"
                ) from None
            session.commit()
    except sa.exc.DBAPIError:
        return  # no shared schema yet (kyodo init) or no database: nothing to check
