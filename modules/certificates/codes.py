"""Issuance numbers (交付番号) and verification codes (照合番号)."""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata

# Crockford's base32 alphabet: no I, L, O, U, so a code read off paper is not misread.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits of randomness
_NUMBER = re.compile(r"^\d{4}-\d{6}$")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def issuance_number(fiscal_year: int, serial: int) -> str:
    """'2026-000001': the fiscal year (年度) and the serial within it."""
    return f"{fiscal_year}-{serial:06d}"


def clean_number(text: str | None) -> str | None:
    """The number as typed (full-width digits, spaces) in its stored form, or None if malformed."""
    value = re.sub(r"\s", "", unicodedata.normalize("NFKC", text or ""))
    return value if _NUMBER.match(value) else None


# Letters a reader mistakes for digits: O read as 0, I and L as 1.
_READ_AS = str.maketrans("OIL", "011")


def clean_code(text: str | None) -> str:
    """The code as typed (lower case, hyphens, full-width) in its stored form; O read as 0, I/L as 1."""
    value = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text or "")).upper()
    return value.translate(_READ_AS)


def display_code(code: str) -> str:
    """'ABCD-EFGH-JKMN-PQRS' as printed."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def same_code(stored: str, given: str) -> bool:
    return hmac.compare_digest(stored.encode(), given.encode())
