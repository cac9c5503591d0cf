"""Routes of the data migration (データ移行)."""

from flask import Blueprint

from modules.migration import views

bp = Blueprint("migration", __name__, url_prefix="/<tenant>/migration", template_folder="templates")
bp.add_url_rule("/", "index", views.index)
bp.add_url_rule("/upload", "upload", views.upload, methods=["POST"])
bp.add_url_rule("/gaiji", "gaiji_table", views.gaiji_table, methods=["GET", "POST"])
bp.add_url_rule("/gaiji/import", "gaiji_import", views.gaiji_import, methods=["POST"])
bp.add_url_rule("/gaiji.csv", "gaiji_csv", views.gaiji_csv)
