"""Thin views of the platform pages."""

from __future__ import annotations

from flask import render_template, request

from tenant_core.boundary import get_session
from tenant_core.extensions import get_db
from tenant_core.pagination import Page
from tenant_core.permissions import public, require
from tenant_core.platform import services


@public
def home():
    return render_template("platform/home.html", tenants=services.active_tenants(get_session()))


@require("platform.manage")
def tenants():
    rows = services.tenant_overview(get_db(), get_session())
    return render_template("platform/tenants.html", rows=rows)


@require("platform.manage")
def jobs():
    page = Page.from_request(request)
    rows, total = services.all_jobs(get_session(), page.number, page.per_page)
    return render_template("platform/jobs.html", jobs=rows, page=page.with_total(total))
