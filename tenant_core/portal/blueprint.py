"""Routes of a city's staff portal (業務ポータル) and its job list."""

from flask import Blueprint

from tenant_core.portal import views

bp = Blueprint("portal", __name__, url_prefix="/<tenant>")
bp.add_url_rule("/", "index", views.index)
bp.add_url_rule("/jobs/", "jobs", views.jobs)
bp.add_url_rule("/jobs/<job_id>.json", "job_status", views.job_status)
bp.add_url_rule("/notices/publish", "publish_notices", views.publish_notices, methods=["POST"])
bp.add_url_rule("/visit/close", "close_visit", views.close_visit, methods=["POST"])
bp.add_url_rule("/dates/read", "read_date", views.read_date)
