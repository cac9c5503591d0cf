"""A tiny module (見本業務) that joins the platform through its manifest alone."""

from tenant_core.modules import ModuleInfo

MODULE = ModuleInfo(
    name="sample",
    label_ja="見本業務",
    label_en="Sample",
    summary_ja="モジュール契約の試験用",
    summary_en="For testing the module contract",
    blueprints=("kyodo_sample.blueprint:bp",),
    models=("kyodo_sample.models",),
    parameters="kyodo_sample.parameters",
    commands=("kyodo_sample.cli:sample",),
    demo="kyodo_sample.demo:load_demo",
    demo_roles={"clerk": "viewer"},
    editor_permissions=frozenset({"sample.approve"}),
    duty_permissions={"finance": frozenset({"sample.view"})},
    throttled_endpoints=("sample.guess",),
    portal_panel="kyodo_sample/_portal.html",
    requires=("residents",),
)
