"""Routes of the resident register (住民記録・共通宛名): pages and the JSON API."""

from flask import Blueprint

from modules.residents import api, change_views, moveout_views, openapi, protection, protection_views, views

bp = Blueprint("residents", __name__, url_prefix="/<tenant>/residents", template_folder="templates")
bp.add_url_rule("/", "index", views.index)
bp.add_url_rule("/new", "arrival", views.arrival, methods=["GET", "POST"])
bp.add_url_rule("/<int:atena_no>", "person", views.person)
bp.add_url_rule("/<int:atena_no>/events/<kind>", "event", views.event, methods=["GET", "POST"])
bp.add_url_rule("/expiring", "expiring", views.expiring)
bp.add_url_rule(
    "/<int:atena_no>/history/<int:event_id>/cancel",
    "cancel_event",
    change_views.cancel_event,
    methods=["GET", "POST"],
)
bp.add_url_rule("/<int:atena_no>/items/<what>", "items", change_views.items, methods=["GET", "POST"])
bp.add_url_rule("/households/<int:household_no>/birth", "birth", change_views.birth, methods=["GET", "POST"])
bp.add_url_rule(
    "/<int:atena_no>/move-out", "move_out", moveout_views.move_out_notice, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/<int:atena_no>/move-out/<int:notice_id>/confirm",
    "move_out_confirm",
    moveout_views.confirm_move_out,
    methods=["POST"],
)
bp.add_url_rule(
    "/<int:atena_no>/move-out/<int:notice_id>/cancel",
    "move_out_cancel",
    moveout_views.cancel_move_out,
    methods=["POST"],
)
bp.add_url_rule("/households/<int:household_no>", "household", views.household)
# Every page (of any module) that shows a person under 支援措置 or 抑止 carries a warning banner.
bp.app_context_processor(protection.page_banners)
bp.add_url_rule("/protection/expiring", "protection_expiring", protection_views.expiring)
bp.add_url_rule("/<int:atena_no>/protection", "protection", protection_views.person_measures)
bp.add_url_rule(
    "/<int:atena_no>/protection/support",
    "protection_support",
    protection_views.new_support,
    methods=["GET", "POST"],
)
bp.add_url_rule(
    "/<int:atena_no>/protection/hold", "protection_hold", protection_views.new_hold, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/protection/<int:measure_id>/<action>",
    "protection_action",
    protection_views.measure_action,
    methods=["GET", "POST"],
)
bp.add_url_rule("/api/search", "api_search", api.search)
bp.add_url_rule("/api/persons/<int:atena_no>", "api_person", api.person)
bp.add_url_rule("/api/households/<int:household_no>", "api_household", api.household)
bp.add_url_rule("/api/changes", "api_changes", api.changes)
bp.add_url_rule("/api/openapi.json", "api_openapi", openapi.openapi_json)
