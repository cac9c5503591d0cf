"""証明書交付 (certificates): 住民票の写し, 除票の写し, 転出証明書 and 印鑑登録証明書, signed."""

from tenant_core.modules import ModuleInfo

MODULE = ModuleInfo(
    name="certificates",
    label_ja="証明書交付",
    label_en="Certificates",
    summary_ja="住民票の写し・除票の写し・転出証明書・印鑑登録証明書の交付（電子署名付き）",
    summary_en="Certificates of residence and seal registration certificates",
    blueprints=("modules.certificates.blueprint:bp",),
    models=("modules.certificates.models",),
    parameters="modules.certificates.parameters",
    demo_roles={"admin": "editor", "clerk": "editor"},
    person_actions="modules.certificates.counter:person_actions",
    # The public verification form takes a code anyone could try to guess.
    throttled_endpoints=("certificates.verify",),
    portal_panel="certificates/_portal.html",
    requires=("residents", "seals"),
    usage_counters=("modules.certificates.usage:usage_counts",),
    commands=("modules.certificates.cli:certificates",),
    # At the emergency counter: issuing (and the public check, a read) stay open; what is issued there
    # is merged back afterwards.
    emergency_posts=("certificates.new", "certificates.verify"),
    emergency_records=("certificate_issuances", "certificate_counters"),
    rekey="modules.certificates.rekey:rekey_city",  # stored PDFs showing a 個人番号
)
