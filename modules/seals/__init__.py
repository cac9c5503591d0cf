"""印鑑登録: seal registration, loss of the registration card, abolition."""

from tenant_core.modules import ModuleInfo

MODULE = ModuleInfo(
    name="seals",
    label_ja="印鑑登録",
    label_en="Seal registration",
    summary_ja="印鑑の登録・亡失・廃止",
    summary_en="Registering seals, lost cards and abolition",
    blueprints=("modules.seals.blueprint:bp",),
    models=("modules.seals.models",),
    parameters="modules.seals.parameters",
    demo_roles={"admin": "editor", "clerk": "editor"},
    person_actions="modules.seals.counter:person_actions",
    requires=("residents",),
    # A 転出 or 死亡 in the register erases the person's seal registration (職権抹消).
    startup="modules.seals.departures:register_listener",
)
