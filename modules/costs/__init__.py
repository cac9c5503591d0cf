"""負担金算定: each member city's share of the consortium's joint operating cost."""

from tenant_core.modules import ModuleInfo

MODULE = ModuleInfo(
    name="costs",
    label_ja="負担金算定",
    label_en="Cost allocation",
    summary_ja="共同運営費の各市負担額の算定と説明",
    summary_en="Each member city's share of the joint operating cost, explained",
    blueprints=("modules.costs.blueprint:bp",),
    models=("modules.costs.models", "modules.costs.usage_models"),
    commands=("modules.costs.cli:costs",),
    demo="modules.costs.demo:load_demo",
    # The month's usage (実績) is measured on the 1st for the month before, one job per city; at 10:00
    # Japan time, which is the 1st in UTC too (the scheduler's cron is read in its local zone).
    scheduled=(("modules.costs.usage_schedule:monthly", "0 10 1 * *"),),
    demo_roles={"admin": "editor", "finance": "viewer"},
    # The finance department reads and exports its city's share; the secretariat enters the joint costs.
    duty_permissions={
        "finance": frozenset({"costs.view", "costs.export"}),
        "secretariat": frozenset({"costs.view", "costs.edit"}),
    },
)
