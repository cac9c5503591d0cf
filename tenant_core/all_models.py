"""Import every model module so that both metadata objects are complete (create_all, migrations)."""

from tenant_core import models  # noqa: F401
from tenant_core.audit import models as audit_models  # noqa: F401
from tenant_core.auth import models as auth_models  # noqa: F401
from tenant_core.modules import load_models
from tenant_core.params import models as params_models  # noqa: F401
from tenant_core.printing import models as printing_models  # noqa: F401

load_models()
