"""What other modules may use of the seal register (the certificate and inquiry modules).

``active_registration(session, atena_no)``: the registered seal a 印鑑登録証明書 shows, or None.
``registrations_of(session, atena_no)``: every registration of a person, newest first.
``status_label(code)``: a registration's state as the reader's language names it.
"""

from modules.seals.display import status_label
from modules.seals.services import active_registration, registrations_of

__all__ = ["active_registration", "registrations_of", "status_label"]
