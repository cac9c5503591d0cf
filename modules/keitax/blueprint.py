"""Routes of 軽自動車税（種別割）."""

from flask import Blueprint

from modules.keitax import views

bp = Blueprint("keitax", __name__, url_prefix="/<tenant>/keitax", template_folder="templates")
bp.add_url_rule("/", "index", views.index)
bp.add_url_rule("/ledger.xlsx", "ledger_export", views.ledger_export)
bp.add_url_rule("/assess", "assess", views.assess, methods=["POST"])
bp.add_url_rule("/vehicles/new", "new_vehicle", views.new_vehicle, methods=["GET", "POST"])
bp.add_url_rule("/vehicles/<int:vehicle_id>", "vehicle", views.vehicle)
bp.add_url_rule(
    "/vehicles/<int:vehicle_id>/holders", "change_holders", views.change_holders, methods=["GET", "POST"]
)
bp.add_url_rule("/vehicles/<int:vehicle_id>/scrap", "scrap", views.scrap, methods=["POST"])
bp.add_url_rule("/vehicles/<int:vehicle_id>/reduction", "reduction", views.reduction, methods=["POST"])
bp.add_url_rule("/reductions", "reductions", views.reductions)
bp.add_url_rule("/reductions/<int:reduction_id>/decide", "decide", views.decide, methods=["POST"])
bp.add_url_rule("/taxpayers/<int:atena_no>", "taxpayer", views.taxpayer)
bp.add_url_rule("/payments", "payments", views.payments)
bp.add_url_rule("/payments.xlsx", "payments_export", views.payments_export)
bp.add_url_rule("/payments/import", "import_payments", views.import_payments, methods=["GET", "POST"])
bp.add_url_rule("/payments/imports/<int:import_id>", "import_report", views.import_report)
bp.add_url_rule("/unpaid", "unpaid", views.unpaid)
bp.add_url_rule("/print", "print_notices", views.print_notices, methods=["POST"])
