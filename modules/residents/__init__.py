"""住民記録・共通宛名: persons, households and their dated history; the person look-up other modules use."""

from tenant_core.modules import ModuleInfo

MODULE = ModuleInfo(
    name="residents",
    label_ja="住民記録",
    label_en="Resident records",
    summary_ja="住民の異動・世帯・共通宛名の管理",
    summary_en="Moves, households and the common addressee register",
    blueprints=("modules.residents.blueprint:bp",),
    models=("modules.residents.models", "modules.residents.moveout_models"),
    commands=("modules.residents.cli:demo", "modules.residents.moveout_cli:residents"),
    demo="modules.residents.demo:load_demo",
    demo_roles={"admin": "editor", "clerk": "editor"},
    # Only editors of resident data may see the 個人番号.
    # Searching the 除票 (moved out, deceased) is for editors too (modules/residents/removed.py).
    editor_permissions=frozenset({"residents.view_mynumber", "residents.view_removed"}),
)
