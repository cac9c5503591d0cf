"""Routes of the personal status inquiry (個人状況照会)."""

from flask import Blueprint

from modules.inquiry import views

bp = Blueprint("inquiry", __name__, url_prefix="/<tenant>/inquiry", template_folder="templates")
# POST: the reason travels in the body, never in a URL (nor in proxies' logs or the browser history).
bp.add_url_rule("/", "index", views.index, methods=["GET", "POST"])
