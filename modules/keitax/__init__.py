"""軽自動車税（種別割）: the vehicle register, 賦課, 減免, 収納 and the 納税通知書.

One folder, declared to the core by this manifest: its tables, pages, parameters (the 税率 table
per city, 納期限, rounding) and the document kind the printing platform prints (納税通知書).
Taxpayers are 宛名 of 共通宛名 (``modules.atena.public``): residents, 住登外者 and 法人.
"""

from tenant_core.modules import ModuleInfo

MODULE = ModuleInfo(
    name="keitax",
    label_ja="軽自動車税",
    label_en="Light vehicle tax",
    summary_ja="軽自動車税（種別割）の車両台帳・賦課・減免・収納・納税通知書",
    summary_en="Light vehicle tax: vehicle register, assessment, reductions, collection and notices",
    blueprints=("modules.keitax.blueprint:bp",),
    models=("modules.keitax.models",),
    parameters="modules.keitax.parameters",
    demo_roles={"admin": "editor", "clerk": "editor", "finance": "viewer"},
    # A tax clerk prints the 納税通知書 and operates the print run (引き抜き, 再発行).
    editor_permissions=frozenset({"printing.view", "printing.operate"}),
    requires=("residents", "atena"),
    document_kinds=("modules.keitax.notices:NOTICE",),
)
