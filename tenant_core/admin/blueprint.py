"""Routes of the city administrator's pages."""

from flask import Blueprint

from tenant_core.admin import views

bp = Blueprint("admin", __name__, url_prefix="/<tenant>/admin")
bp.add_url_rule("/users/", "users", views.users)
bp.add_url_rule("/users/new", "user_new", views.user_new, methods=["GET", "POST"])
bp.add_url_rule("/users/<int:user_id>", "user_detail", views.user_detail)
bp.add_url_rule("/users/<int:user_id>/roles", "user_roles", views.user_roles, methods=["POST"])
bp.add_url_rule("/users/<int:user_id>/status", "user_status", views.user_status, methods=["POST"])
bp.add_url_rule("/users/<int:user_id>/unlock", "user_unlock", views.user_unlock, methods=["POST"])
bp.add_url_rule("/users/<int:user_id>/password", "user_reset", views.user_reset, methods=["POST"])
bp.add_url_rule("/audit/", "audit", views.audit_log)
bp.add_url_rule("/audit/export.csv", "audit_export", views.audit_export)
