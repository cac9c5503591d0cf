"""Routes of the parameter layer: the city administrator's pages, the comparison and the JSON API."""

from flask import Blueprint, Flask

from tenant_core.i18n import request_lang
from tenant_core.params import views
from tenant_core.params.registry import registry
from tenant_core.params.resolution import param
from tenant_core.permissions import public

bp = Blueprint("params", __name__, url_prefix="/<tenant>")
bp.add_url_rule("/admin/params/", "index", views.index)
bp.add_url_rule("/admin/params/compare", "compare", views.compare)
bp.add_url_rule("/admin/params/compare.xlsx", "compare_xlsx", views.compare_xlsx)
bp.add_url_rule("/admin/params/versions/<int:version_id>/cancel", "cancel", views.cancel, methods=["POST"])
bp.add_url_rule("/admin/params/<key>", "detail", views.detail)
bp.add_url_rule("/admin/params/<key>/edit", "edit", views.edit, methods=["GET", "POST"])
bp.add_url_rule("/api/params", "api_list", views.api_list)
bp.add_url_rule(
    "/api/params/openapi.json", "api_openapi", views.openapi_json
)  # before <key>: no key has this name
bp.add_url_rule(
    "/api/params/versions/<int:version_id>/cancel", "api_cancel", views.api_cancel, methods=["POST"]
)
bp.add_url_rule("/api/params/<key>", "api_get", views.api_get)
bp.add_url_rule("/api/params/<key>", "api_change", views.api_change, methods=["POST"])
bp.add_url_rule("/api/params/<key>/history", "api_history", views.api_history)

# Routes outside any city: the layer's static files (CSS, grid script).
docs_bp = Blueprint("params_docs", __name__, static_folder="static", static_url_path="/static/params")


@docs_bp.record_once
def _public_static(state) -> None:
    # A bound method takes no attributes: wrap it in a plain function that can be declared public.
    send = state.app.view_functions["params_docs.static"]

    def static(filename: str):
        return send(filename)

    state.app.view_functions["params_docs.static"] = public(static)


@bp.record_once
def _set_up(state) -> None:
    app: Flask = state.app
    registry()  # a bad declaration stops the start, not the first request that reads it
    app.register_blueprint(docs_bp)
    app.jinja_env.globals["param"] = param
    app.jinja_env.globals["param_display"] = lambda key, on=None: (
        registry().get(key).display(param(key, on), request_lang())
    )
