"""Resolving the tenant of a request from its URL (``/<tenant>/...``) into ``current_tenant``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, abort, current_app, g, render_template
from werkzeug.local import LocalProxy

from tenant_core.codes import is_valid_slug, schema_name
from tenant_core.extensions import get_db
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


def _request_tenant(slug: str) -> TenantRef | None:
    """The city of a request, read on the request's own connection (its first statement): never cached,
    so a city suspended a moment ago is refused on the next request, in every worker."""
    from tenant_core.boundary import bind_tenant, first_statement

    if not is_valid_slug(slug):
        return None
    row = first_statement(lambda session: session.execute(_LOOKUP.where(Tenant.slug == slug)).first())
    if row is None:
        return None
    tenant = TenantRef.from_row(row)
    bind_tenant(tenant.schema)
    return tenant


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
    app.url_value_preprocessor(_pull_tenant)
    app.url_defaults(_add_tenant)
    app.context_processor(lambda: {"current_tenant": g.get("tenant")})
