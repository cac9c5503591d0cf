"""住民記録・共通宛名: persons, households and their dated history; the person look-up other modules use."""

from tenant_core.modules import ModuleInfo, ModuleRole

MODULE = ModuleInfo(
    name="residents",
    label_ja="住民記録",
    label_en="Resident records",
    summary_ja="住民の異動・世帯・共通宛名の管理",
    summary_en="Moves, households and the common addressee register",
    blueprints=("modules.residents.blueprint:bp",),
    models=("modules.residents.models", "modules.residents.moveout_models"),
    commands=(
        "modules.residents.cli:demo",
        "modules.residents.moveout_cli:residents",
        "modules.residents.protection_jobs:protection_cli",
    ),
    demo="modules.residents.demo:load_demo",
    demo_roles={"admin": "editor", "clerk": "editor"},
    person_directory="modules.residents.counter:person_directory",
    person_actions="modules.residents.counter:person_actions",
    # Only editors of resident data may see the 個人番号.
    # Searching the 除票 (moved out, deceased) is for editors too (modules/residents/removed.py).
    editor_permissions=frozenset({"residents.view_mynumber", "residents.view_removed"}),
    # 支援措置 and 抑止 (protection.py): neither the viewer nor the editor sees a protected person.
    # The 支援措置担当 registers, extends and ends measures and sets an 抑止; another duty releases an 抑止.
    roles={
        "protector": ModuleRole(
            "支援措置担当",
            "support measures",
            frozenset({"residents.view", "residents.protect_view", "residents.protect"}),
        ),
        "releaser": ModuleRole(
            "抑止解除",
            "hold release",
            frozenset({"residents.view", "residents.protect_view", "residents.protect_release"}),
        ),
    },
    usage_counters=("modules.residents.usage:usage_counts",),
    rekey="modules.residents.rekey:rekey_city",  # the 個人番号 follows a city restored under another slug
    key_check="modules.residents.rekey:check_key",  # a restore under another secret is refused
)
