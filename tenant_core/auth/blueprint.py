"""Routes for signing in and out: under each city, and for the platform operator."""

from flask import Blueprint

from tenant_core.auth import views

bp = Blueprint("auth", __name__)
bp.add_url_rule("/<tenant>/login", "login", views.login, methods=["GET", "POST"])
bp.add_url_rule("/<tenant>/login/totp", "login_totp", views.login_totp, methods=["GET", "POST"])
bp.add_url_rule("/<tenant>/logout", "logout", views.logout, methods=["POST"])
bp.add_url_rule("/<tenant>/account/password", "password", views.password, methods=["GET", "POST"])
bp.add_url_rule("/<tenant>/account/totp", "totp", views.totp, methods=["GET", "POST"])

platform_bp = Blueprint("platform_auth", __name__)
platform_bp.add_url_rule("/platform/login", "login", views.login, methods=["GET", "POST"])
platform_bp.add_url_rule("/platform/login/totp", "login_totp", views.login_totp, methods=["GET", "POST"])
platform_bp.add_url_rule("/platform/logout", "logout", views.logout, methods=["POST"])
