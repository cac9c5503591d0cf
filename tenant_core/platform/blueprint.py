"""Routes of the platform operator's pages and the public entry page."""

from flask import Blueprint

from tenant_core.platform import views

bp = Blueprint("platform", __name__)
bp.add_url_rule("/", "home", views.home)
bp.add_url_rule("/platform/", "tenants", views.tenants)
bp.add_url_rule("/platform/jobs/", "jobs", views.jobs)
bp.add_url_rule(
    "/platform/jobs/<job_id>/<any(retry, cancel, fail):action>",
    "job_action",
    views.job_action,
    methods=["GET", "POST"],
)
