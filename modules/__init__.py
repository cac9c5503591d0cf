"""The platform's business and common modules.

``INSTALLED`` is the one list of the modules this deployment loads, in the order the portal and the
parameter pages show them; each package declares its ``MODULE`` manifest (``tenant_core.modules``).
"""

INSTALLED = ("residents", "seals", "certificates", "inquiry", "costs", "migration")
