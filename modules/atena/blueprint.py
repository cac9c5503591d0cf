"""Routes of 共通宛名 (住登外者・法人)."""

from flask import Blueprint

from modules.atena import views

bp = Blueprint("atena", __name__, url_prefix="/<tenant>/atena", template_folder="templates")
bp.add_url_rule("/", "index", views.index)
bp.add_url_rule("/new", "new", views.new, methods=["GET", "POST"])
