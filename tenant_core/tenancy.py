"""Resolving the tenant of a request from its URL (``/<tenant>/...``) into ``current_tenant``."""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, render_template
from werkzeug.local import LocalProxy

from tenant_core.codes import is_valid_slug, schema_name
from tenant_core.extensions import get_db, get_redis
from tenant_core.models import Tenant, TenantStatus

URL_ARG = "tenant"


@dataclass(frozen=True)
class TenantRef:
    """What a request or a job knows of its tenant; a plain value, never a live ORM object."""

    id: int
    slug: str
    name: str
    name_en: str | None
    code: str
    status: str
    consortium_id: int
    modules: tuple[str, ...]

    @property
    def schema(self) -> str:
        return schema_name(self.slug)

    @classmethod
    def from_row(cls, row: Any) -> TenantRef:
        return cls(
            id=row.id,
            slug=row.slug,
            name=row.name,
            name_en=row.name_en,
            code=row.code,
            status=str(row.status),
            consortium_id=row.consortium_id,
            modules=tuple(row.modules or ()),
        )


def _get_current_tenant() -> TenantRef | None:
    return g.get("tenant")


current_tenant: TenantRef = LocalProxy(_get_current_tenant)  # type: ignore[assignment]

_LOOKUP = sa.select(
    Tenant.id,
    Tenant.slug,
    Tenant.name,
    Tenant.name_en,
    Tenant.code,
    Tenant.status,
    Tenant.consortium_id,
    Tenant.modules,
)


def find_tenant(slug: str) -> TenantRef | None:
    """One query on the shared schema; never touches a tenant schema."""
    if not is_valid_slug(slug):
        return None
    with get_db().session() as session:
        row = session.execute(_LOOKUP.where(Tenant.slug == slug)).first()
    return TenantRef.from_row(row) if row else None


# The cities a worker has read, kept while Redis says nothing changed. Every change of a ``tenants``
# row is published on a Redis channel (``Database.tenants_changed``); each worker holds one subscribed
# connection and, at the start of a request for a city, looks without waiting at what has arrived on
# it (a poll of its socket, no round trip): any message drops every copy. The publisher waits until
# Redis has written the message to every subscriber (``watch_tenants``), so by the time the change's
# own request has answered, the message is in every worker's socket: a suspended city is refused on
# the very next request in every worker. A worker that has just started (or lost its subscription)
# subscribes and waits for Redis to confirm before it keeps any copy, so no change can fall between
# its reading a city and its listening. Without Redis (SQLite, a development machine), or while Redis
# is unreachable, there is no cache and the city is read on the request's connection.
CHANNEL = "kyodo:tenants:changed"
CACHE = "kyodo.tenant_cache"
# A bound on a copy's life, should a change ever be missed (Redis unreachable when it was made).
CACHE_SECONDS = 60.0
# After Redis failed to take a subscription: how long a worker reads cities from the database without
# trying again (so that an unreachable Redis costs one connection attempt, not one per request).
RETRY_SECONDS = 5.0


class TenantWatch:
    """A worker's copies of the cities it has served, and its subscription to their changes."""

    def __init__(self) -> None:
        self.copies: dict[str, tuple[float, TenantRef]] = {}
        self._pubsub: Any = None
        self._poll: Any = None
        self._sock: Any = None
        self._pid = 0
        self._retry_at = 0.0
        self._lock = threading.Lock()

    def usable(self) -> bool:
        """Whether the copies may be used for this request (they are dropped when a city changed)."""
        with self._lock:  # a worker's threads share one subscription
            return self._usable()

    def _usable(self) -> bool:
        if self._pubsub is None or self._pid != os.getpid():  # first request, or a forked worker
            return self._subscribe()
        if not self._poll.poll(0):
            return True  # nothing has arrived (one system call; the usual case)
        try:
            while (message := self._pubsub.get_message(timeout=0)) is not None:
                if message["type"] != "message":
                    raise ConnectionError(message["type"])  # not ours: start again
            if self._pubsub.connection is None or self._pubsub.connection._sock is not self._sock:
                raise ConnectionError("reconnected")  # redis-py reconnected: messages may be lost
        except Exception:  # Redis restarted or unreachable: what was missed is unknown
            self._drop_subscription()
            return False
        self.copies.clear()
        return True

    def _subscribe(self) -> bool:
        self.copies.clear()
        self._pid = os.getpid()  # a connection inherited from the master is never read from here
        if time.monotonic() < self._retry_at:
            return False  # Redis failed a moment ago: no request waits for it again until then
        try:
            pubsub = get_redis().pubsub()  # type: ignore[union-attr]
            pubsub.subscribe(CHANNEL)
            # Wait for the confirmation: from then on no change can pass unseen.
            confirmed = pubsub.get_message(timeout=2)
        except Exception:
            self._pubsub = None
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return False
        if confirmed is None or confirmed["type"] != "subscribe":
            pubsub.close()
            self._pubsub = None
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return False
        # Looked at without redis-py's machinery on every request: its parser holds nothing unread
        # once the confirmation is read, so an empty socket means no message.
        self._sock = pubsub.connection._sock
        self._poll = select.poll()
        self._poll.register(self._sock, select.POLLIN | select.POLLERR | select.POLLHUP)
        self._pubsub = pubsub
        return True

    def _drop_subscription(self) -> None:
        self.copies.clear()
        with contextlib.suppress(Exception):
            self._pubsub.close()
        self._pubsub = None

    def get(self, slug: str) -> TenantRef | None:
        kept = self.copies.get(slug)
        if kept is not None and time.monotonic() - kept[0] < CACHE_SECONDS:
            return kept[1]
        return None

    def keep(self, tenant: TenantRef) -> None:
        self.copies[tenant.slug] = (time.monotonic(), tenant)


def _read_tenant(slug: str) -> TenantRef | None:
    from tenant_core.boundary import first_statement

    row = first_statement(lambda session: session.execute(_LOOKUP.where(Tenant.slug == slug)).first())
    return TenantRef.from_row(row) if row is not None else None


def _request_tenant(slug: str) -> TenantRef | None:
    """The city of a request: the worker's copy while nothing changed, else read on the request's own
    connection (its first statement)."""
    from tenant_core.boundary import bind_tenant

    if not is_valid_slug(slug):
        return None
    watch: TenantWatch | None = current_app.extensions.get(CACHE)
    usable = watch is not None and watch.usable()
    if usable:
        assert watch is not None
        kept = watch.get(slug)
        if kept is not None:
            return kept  # the session, not opened yet, is bound to the city's schema when it is
    tenant = _read_tenant(slug)
    if tenant is None:
        return None
    if usable:
        assert watch is not None
        # Read after the look at the channel: a change since then is in the socket for the next request.
        watch.keep(tenant)
    bind_tenant(tenant.schema)
    return tenant


def watch_tenants(app: Flask) -> None:
    """Tell every worker, through Redis, of each change of a city (for commands as well as pages)."""
    redis = get_redis(app)
    if redis is None:
        return

    def changed() -> None:
        try:
            redis.publish(CHANNEL, "1")
            # Redis answers the publisher and writes to the subscribers in the same pass, in no set
            # order; the answer to a second command comes only after that pass has finished. So once
            # this returns, the message is in every worker's socket, and the next request sees it.
            redis.ping()
        except Exception:  # the change is committed; workers' copies age out (CACHE_SECONDS)
            app.logger.warning("tenant cache: Redis unreachable, workers keep their copies a while")

    get_db(app).tenants_changed = changed


def _pull_tenant(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if not values or URL_ARG not in values:
        return
    slug = values.pop(URL_ARG)
    tenant = _request_tenant(slug)
    if tenant is None or tenant.status == TenantStatus.archived:
        abort(404)
    if tenant.status == TenantStatus.suspended:
        abort(current_app.response_class(render_template("core/suspended.html", tenant=tenant), 403))
    g.tenant = tenant


def _add_tenant(endpoint: str, values: dict[str, Any]) -> None:
    tenant = g.get("tenant")
    if (
        tenant is not None
        and URL_ARG not in values
        and current_app.url_map.is_endpoint_expecting(endpoint, URL_ARG)
    ):
        values[URL_ARG] = tenant.slug


def init_app(app: Flask) -> None:
    if get_redis(app) is not None:
        app.extensions[CACHE] = TenantWatch()
    app.url_value_preprocessor(_pull_tenant)
    app.url_defaults(_add_tenant)
    app.context_processor(lambda: {"current_tenant": g.get("tenant")})
