"""Routes of 証明書交付: the register, the issue form, an issuance and its PDF, public verification."""

from flask import Blueprint

from modules.certificates import views

bp = Blueprint("certificates", __name__, url_prefix="/<tenant>/certificates", template_folder="templates")
bp.add_url_rule("/", "index", views.index)
bp.add_url_rule("/new", "new", views.new, methods=["GET", "POST"])
bp.add_url_rule("/verify", "verify", views.verify, methods=["GET", "POST"])
bp.add_url_rule("/<number>", "issuance", views.issuance)
bp.add_url_rule("/<number>/certificate.pdf", "download", views.download)
bp.add_url_rule("/<number>/cancel", "cancel", views.cancel, methods=["POST"])
bp.add_url_rule("/<number>/reissue", "reissue", views.reissue, methods=["POST"])
