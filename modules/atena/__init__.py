"""共通宛名: the addressees of every module beyond the resident register (住登外者 and 法人).

A module that addresses someone (a taxpayer, an applicant) names them by a 宛名番号: a resident's
number from the resident register, or a number given here to a person who does not live in the
city (住登外者) or to a corporation (法人, with its 法人番号). ``public.py`` answers for both
kinds in one shape, with the postal code that printing needs.
"""

from tenant_core.modules import ModuleInfo

MODULE = ModuleInfo(
    name="atena",
    label_ja="共通宛名",
    label_en="Common addressees",
    summary_ja="住登外者・法人の宛名と郵便番号",
    summary_en="Addressees outside the resident register (non-residents, corporations)",
    blueprints=("modules.atena.blueprint:bp",),
    models=("modules.atena.models",),
    parameters="modules.atena.parameters",
    demo_roles={"admin": "editor", "clerk": "editor"},
    requires=("residents",),
)
