from tenant_core.modules import ModuleInfo

MODULE = ModuleInfo(
    name="broken",
    label_ja="壊れた業務",
    label_en="Broken",
    summary_ja="読み込めない業務",
    blueprints=("kyodo_broken.blueprint:bp",),
)
