"""The parameter layer's public face for code outside ``tenant_core.params``.

Modules, sign-in, provisioning, the portal and some tests import from here (``from
tenant_core.params.services import param``), so this file only re-exports the names they use. The
work is done in ``resolution`` (the value in force), ``changes`` (new versions, cancelling,
history), ``comparison`` (FIT&GAP) and ``files`` (tenant.toml, params.toml); code inside the
package imports those directly.
"""

from tenant_core.params.changes import Actor, change
from tenant_core.params.files import apply_declaration
from tenant_core.params.resolution import load_param_set, param, param_set_for, params_for, today

__all__ = [
    "Actor",
    "apply_declaration",
    "change",
    "load_param_set",
    "param",
    "param_set_for",
    "params_for",
    "today",
]
