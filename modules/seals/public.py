"""What other modules may use of the seal register (the certificate and inquiry modules)."""

from modules.seals.services import active_registration, registrations_of

__all__ = ["active_registration", "registrations_of"]
