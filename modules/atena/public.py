"""What other modules may use of 共通宛名 (they import this file only).

``get_entry(session, atena_no)`` / ``get_entries(session, numbers)``: any addressee of the city, a
resident (through the resident register's public API, 支援措置 included) or a 住登外者 or 法人
registered here, as one ``Entry`` (name, 郵便番号, address, the part after the town for the
カスタマバーコード). Another city's number is simply absent.
``register(session, kind=..., ...)``: a new 住登外者 or 法人 (``InputError`` on bad input).
``corporate_number_valid``: the 法人番号 check digit (財務省令第70号 第2条).
"""

from modules.atena.models import FIRST_NUMBER, AddresseeKind
from modules.atena.services import (
    Entry,
    corporate_check_digit,
    corporate_number_valid,
    get_entries,
    get_entry,
    list_addressees,
    normalise_postcode,
    register,
)

__all__ = [
    "FIRST_NUMBER",
    "AddresseeKind",
    "Entry",
    "corporate_check_digit",
    "corporate_number_valid",
    "get_entries",
    "get_entry",
    "list_addressees",
    "normalise_postcode",
    "register",
]
