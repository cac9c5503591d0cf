"""Routes of the cost allocation (負担金算定), under ``/<tenant>/costs``; views declare their permission."""

from flask import Blueprint

from modules.costs import joint_alone_views, manage_views, settlement_views, usage_views, views

bp = Blueprint("costs", __name__, url_prefix="/<tenant>/costs", template_folder="templates")
bp.context_processor(views.template_context)

# Finance officers (costs.view, costs.export)
bp.add_url_rule("/", "index", views.index)
bp.add_url_rule("/<int:year>/", "year", views.year)
bp.add_url_rule("/<int:year>/revisions/<int:number>", "revision", views.revision)
bp.add_url_rule("/<int:year>/export.csv", "export_csv", views.export_csv)
bp.add_url_rule("/<int:year>/export.xlsx", "export_xlsx", views.export_xlsx)
bp.add_url_rule("/<int:year>/statement.pdf", "statement_pdf", views.statement_pdf)
bp.add_url_rule("/scenarios/<int:scenario_id>", "scenario", views.scenario)
# 概算 and 精算: each city's invoices and 精算書; the secretariat's list, approvals and actual costs
bp.add_url_rule("/<int:year>/invoice.pdf", "invoice", settlement_views.invoice)
bp.add_url_rule("/<int:year>/settlement.pdf", "settlement", settlement_views.settlement)
bp.add_url_rule("/<int:year>/invoices.xlsx", "invoices", settlement_views.invoices)
bp.add_url_rule(
    "/manage/<int:year>/billing", "billing_approve", settlement_views.billing_approve, methods=["POST"]
)
bp.add_url_rule(
    "/manage/<int:year>/items/<int:item_id>/actual",
    "actual_save",
    settlement_views.actual_save,
    methods=["POST"],
)
bp.add_url_rule(
    "/manage/<int:year>/settlement",
    "settlement_approve",
    settlement_views.settlement_approve,
    methods=["POST"],
)
# Measured usage: finance officers see their city's, the secretariat every city's and corrects them
bp.add_url_rule("/usage/", "usage", usage_views.usage_page)
bp.add_url_rule("/usage/counts/<int:count_id>", "usage_count", usage_views.usage_count)
bp.add_url_rule(
    "/usage/counts/<int:count_id>/revise", "usage_revise", usage_views.usage_revise, methods=["POST"]
)

# The consortium secretariat (costs.edit)
bp.add_url_rule("/manage/", "manage", manage_views.manage)
bp.add_url_rule("/manage/members", "member_add", manage_views.member_add, methods=["POST"])
bp.add_url_rule("/manage/years", "year_add", manage_views.year_add, methods=["POST"])
bp.add_url_rule("/manage/<int:year>/", "manage_year", manage_views.manage_year)
bp.add_url_rule("/manage/<int:year>/items", "item_add", manage_views.item_add, methods=["POST"])
bp.add_url_rule(
    "/manage/<int:year>/items/<int:item_id>", "item_edit", manage_views.item_edit, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/manage/<int:year>/items/<int:item_id>/delete", "item_delete", manage_views.item_delete, methods=["POST"]
)
bp.add_url_rule("/manage/<int:year>/rates", "rates_save", manage_views.rates_save, methods=["POST"])
bp.add_url_rule("/manage/<int:year>/bases", "bases_save", manage_views.bases_save, methods=["POST"])
bp.add_url_rule("/manage/<int:year>/rules", "rule_add", manage_views.rule_add, methods=["POST"])
bp.add_url_rule(
    "/manage/<int:year>/rules/<int:rule_id>/delete", "rule_delete", manage_views.rule_delete, methods=["POST"]
)
bp.add_url_rule(
    "/manage/joint-alone/", "joint_alone_new", joint_alone_views.joint_alone_entry, methods=["GET", "POST"]
)
bp.add_url_rule(
    "/manage/joint-alone/<int:scenario_id>",
    "joint_alone_edit",
    joint_alone_views.joint_alone_entry,
    methods=["GET", "POST"],
)
bp.add_url_rule("/manage/<int:year>/approve", "approve", manage_views.approve, methods=["POST"])
bp.add_url_rule("/manage/<int:year>/reopen", "reopen", manage_views.reopen, methods=["POST"])
