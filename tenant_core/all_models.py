"""Import every model module so that both metadata objects are complete (create_all, migrations)."""

from tenant_core import models  # noqa: F401
from tenant_core.audit import models as audit_models  # noqa: F401
from tenant_core.auth import models as auth_models  # noqa: F401
from tenant_core.optional import optional_module

# Parts built beside the core declare their tables here once they exist.
for _path in (
    "tenant_core.params.models",
    "modules.costs.models",
    "modules.residents.models",
    "modules.seals.models",
    "modules.certificates.models",
):
    optional_module(_path)
