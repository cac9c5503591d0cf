"""What other modules may use of the seal register (the certificate and inquiry modules).

``active_registration(session, atena_no)``: the registered seal a 印鑑登録証明書 shows, or None.
``registrations_of(session, atena_no)``: every registration of a person, newest first.
``status_label(code)``: a registration's state as the reader's language names it.
Migration (移行) in bulk: ``check_image`` (the checks of an uploaded 印影, ``SealError`` when refused),
``IncomingSeal``/``apply_seals`` (registrations keyed by 登録番号), ``OutgoingSeal``/``iter_seals``,
``registration_known``.
"""

from modules.seals.display import status_label
from modules.seals.errors import SealError
from modules.seals.exchange import IncomingSeal, OutgoingSeal, apply_seals, iter_seals, registration_known
from modules.seals.images import CheckedImage, check_image
from modules.seals.services import active_registration, registrations_of

__all__ = [
    "CheckedImage",
    "IncomingSeal",
    "OutgoingSeal",
    "SealError",
    "active_registration",
    "apply_seals",
    "check_image",
    "iter_seals",
    "registration_known",
    "registrations_of",
    "status_label",
]
