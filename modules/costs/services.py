"""The former single services module, re-exporting the services from their new modules for the views."""

from __future__ import annotations

from modules.costs.computing import PRESETS, check_rule_spec, compute
from modules.costs.editing import (
    add_member,
    add_rule,
    approve,
    create_year,
    delete_item,
    delete_rule,
    reopen,
    save_basis,
    save_item,
)
from modules.costs.errors import CostError
from modules.costs.lookups import (
    fiscal_year,
    fiscal_years,
    item_of,
    load_year,
    member_for_tenant,
    members,
    revision_of,
    rule_of,
)
from modules.costs.models import CostItem, RevisionShare
from modules.costs.results import overview, revision_result, savings, year_result
from modules.costs.shares import ShareRow, YearResult
from modules.costs.stored_scenarios import compare_scenario, scenario, scenarios

__all__ = [
    "PRESETS",
    "CostError",
    "CostItem",
    "RevisionShare",
    "ShareRow",
    "YearResult",
    "add_member",
    "add_rule",
    "approve",
    "check_rule_spec",
    "compare_scenario",
    "compute",
    "create_year",
    "delete_item",
    "delete_rule",
    "fiscal_year",
    "fiscal_years",
    "item_of",
    "load_year",
    "member_for_tenant",
    "members",
    "overview",
    "reopen",
    "revision_of",
    "revision_result",
    "rule_of",
    "save_basis",
    "save_item",
    "savings",
    "scenario",
    "scenarios",
    "year_result",
]
