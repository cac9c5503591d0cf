"""Routes of the data migration (データ移行)."""

from typing import Any

from flask import Blueprint, request

from modules.migration import views
from tenant_core.auth import guard

UPLOAD_PERMISSION = "migration.edit"  # the permission ``views.upload`` requires

bp = Blueprint("migration", __name__, url_prefix="/<tenant>/migration", template_folder="templates")
bp.add_url_rule("/", "index", views.index)
bp.add_url_rule("/upload", "upload", views.upload, methods=["POST"])
bp.add_url_rule("/gaiji", "gaiji_table", views.gaiji_table, methods=["GET", "POST"])
bp.add_url_rule("/gaiji/import", "gaiji_import", views.gaiji_import, methods=["POST"])
bp.add_url_rule("/gaiji.csv", "gaiji_csv", views.gaiji_csv)


@bp.url_value_preprocessor
def _room_for_a_register(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """A city's register is larger than the platform's request limit: the upload may be larger.

    URL value preprocessors run before every ``before_request`` (the CSRF check reads the form there),
    so the limit must be raised here, and only for staff of this city signed in with the right to
    upload: the session is resolved first (the city is already known from the URL), so a made-up
    cookie keeps the platform's limit.
    """
    if endpoint != "migration.upload":
        return
    user = guard.request_loader(request)
    if user is not None and user.can(UPLOAD_PERMISSION):
        request.max_content_length = views.UPLOAD_MAX
