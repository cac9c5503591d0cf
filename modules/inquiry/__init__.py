"""個人状況照会: one screen with a person's situation across modules, opened only with a stated reason."""

from tenant_core.modules import ModuleInfo

MODULE = ModuleInfo(
    name="inquiry",
    label_ja="個人状況照会",
    label_en="Personal status inquiry",
    summary_ja="業務横断での個人の状況確認",
    summary_en="One person's situation across the modules",
    blueprints=("modules.inquiry.blueprint:bp",),
    demo_roles={"admin": "editor", "clerk": "viewer"},
    # The inquiry screen shows the whole record, 個人番号 included, to those who update it.
    editor_permissions=frozenset({"residents.view_mynumber"}),
    requires=("residents",),
    # A read (its reason travels in a POST body): open at the emergency counter too.
    emergency_posts=("inquiry.index",),
)
