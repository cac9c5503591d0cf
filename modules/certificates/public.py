"""What other modules may use of the certificate register (the inquiry screen)."""

from modules.certificates.services import issuances_of

__all__ = ["issuances_of"]
