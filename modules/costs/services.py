"""The former single services module, kept only for ``tests/bench/bench_costs_pages.py`` (outside costs).

The services live in lookups.py, editing.py, computing.py, results.py and stored_scenarios.py; new code
imports from there. Remove this module once the benchmark imports the new modules.
"""

from __future__ import annotations

from modules.costs.computing import compute
from modules.costs.editing import add_member, add_rule, approve, create_year, save_basis
from modules.costs.lookups import fiscal_years, load_year
from modules.costs.models import CostItem, RevisionShare

__all__ = [
    "CostItem",
    "RevisionShare",
    "add_member",
    "add_rule",
    "approve",
    "compute",
    "create_year",
    "fiscal_years",
    "load_year",
    "save_basis",
]
