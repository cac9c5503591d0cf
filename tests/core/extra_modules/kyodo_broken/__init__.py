from tenant_core.modules import ModuleInfo

MODULE = ModuleInfo(
    name="broken",
    label_ja="壊れた業務",
    label_en="Broken",
    summary_ja="読み込めない業務",
    summary_en="A module that cannot be loaded",
    blueprints=("kyodo_broken.blueprint:bp",),
)
