"""データ移行・連携: a city's register comes in from its old system (with rehearsals and criteria before the
cut-over), 外字 are mapped through the city's table, and the register can always leave in the same layout."""

from tenant_core.modules import ModuleInfo

MODULE = ModuleInfo(
    name="migration",
    label_ja="データ移行",
    label_en="Data migration",
    summary_ja="旧システムからの移行・移行テスト・外字表・移行レイアウトでの出力",
    summary_en="Import from the old system, rehearsals, the 外字 table and export in the exchange layout",
    blueprints=("modules.migration.blueprint:bp",),
    models=("modules.migration.models",),
    commands=("modules.migration.cli:migrate",),
    demo_roles={"admin": "editor"},
    requires=("residents", "seals"),
)
