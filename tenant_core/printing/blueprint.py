"""Routes of the print run pages (大量印刷), for every module's document kinds."""

from flask import Blueprint

from tenant_core.printing import views

bp = Blueprint("printing", __name__, url_prefix="/<tenant>/printing", template_folder="templates")
bp.add_url_rule("/", "index", views.index)
bp.add_url_rule("/runs/<int:run_id>", "run", views.run)
bp.add_url_rule("/runs/<int:run_id>/progress", "progress", views.progress)
bp.add_url_rule("/runs/<int:run_id>/boxes/<int:box_no>.pdf", "box", views.box)
bp.add_url_rule("/runs/<int:run_id>/hassobo.<fmt>", "register", views.register)
bp.add_url_rule("/runs/<int:run_id>/pull", "pull", views.pull, methods=["POST"])
bp.add_url_rule("/runs/<int:run_id>/reprint/<int:seq>.pdf", "reprint", views.reprint)
