"""Resolving the tenant of a request from its URL (``/<tenant>/...``) into ``current_tenant``."""

from __future__ import annotations

import time
import uuid
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


# The cities a worker has read, with Redis as the one place that says when a copy is stale: every
# change of a ``tenants`` row writes a new random token under this key (``Database.tenants_changed``),
# and a request uses its worker's copy only while the token it was read under is still the current
# one. So a suspended city is refused on the very next request in every worker, at the cost of one
# Redis GET instead of a database round trip. A random token, not a counter: a Redis that lost its
# data cannot come back to a value a stale copy was read under. Without Redis (SQLite, a development
# machine) there is no cache and the city is read on the request's connection as before.
TOKEN_KEY = "kyodo:tenants:token"
CACHE = "kyodo.tenant_cache"
# A bound on a copy's life, should a change ever be missed (Redis unreachable when it was made).
CACHE_SECONDS = 60.0
_UNKNOWN = object()


def _read_tenant(slug: str) -> TenantRef | None:
    from tenant_core.boundary import first_statement

    row = first_statement(lambda session: session.execute(_LOOKUP.where(Tenant.slug == slug)).first())
    return TenantRef.from_row(row) if row is not None else None


def _request_tenant(slug: str) -> TenantRef | None:
    """The city of a request: the worker's copy while Redis says it is current, else read on the
    request's own connection (its first statement)."""
    from tenant_core.boundary import bind_tenant

    if not is_valid_slug(slug):
        return None
    cache: dict[str, tuple[object, float, TenantRef]] | None = current_app.extensions.get(CACHE)
    token: object = _UNKNOWN
    if cache is not None:
        try:
            token = get_redis().get(TOKEN_KEY)  # type: ignore[union-attr]
        except Exception:  # Redis down: read the city from the database, as without a cache
            token = _UNKNOWN
        kept = cache.get(slug)
        if (
            kept is not None
            and token is not _UNKNOWN
            and kept[0] == token
            and time.monotonic() - kept[1] < CACHE_SECONDS
        ):
            return kept[2]  # the session, not opened yet, is bound to the city's schema when it is
    tenant = _read_tenant(slug)
    if tenant is None:
        return None
    if cache is not None and token is not _UNKNOWN:
        # Kept under the token read BEFORE the row: a change in between leaves it stale at once.
        cache[slug] = (token, time.monotonic(), tenant)
    bind_tenant(tenant.schema)
    return tenant


def watch_tenants(app: Flask) -> None:
    """Tell every worker, through Redis, of each change of a city (for commands as well as pages)."""
    redis = get_redis(app)
    if redis is None:
        return

    def changed() -> None:
        try:
            redis.set(TOKEN_KEY, uuid.uuid4().hex)
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
        app.extensions[CACHE] = {}
    app.url_value_preprocessor(_pull_tenant)
    app.url_defaults(_add_tenant)
    app.context_processor(lambda: {"current_tenant": g.get("tenant")})
