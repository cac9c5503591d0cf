"""The 個人番号: its check digit, and its encryption with a key of the city's own.

The key is derived (HKDF-SHA256) from the application's SECRET_KEY and the city's slug, so a
token of one city cannot be decrypted with another city's key. A keyed digest (HMAC of the
number under a second derived key) lets the city refuse a number already given to someone else
without storing it in clear.

Tokens come in two kinds, told apart by their first characters, and both are read:
- ``k2.`` + base64url(nonce ‖ ciphertext ‖ tag): AES-256-GCM (cryptography's ``AESGCM``), a random
  96-bit nonce per token, the city's slug as associated data. Every new token is of this kind: one
  cipher object serves every number (Fernet sets up AES-CBC and HMAC again for each token, which
  made it a tenth of a register's migration). A city encrypts far fewer than the 2**32 numbers
  that random nonces allow under one key.
- a Fernet token (``gAAAA…``), the kind written before; read as before, never written again. Such
  tokens turn into the new kind whenever the number is written again (a correction, a re-import,
  a rekey).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import operator
import os
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# cryptography (about 9 MiB in each process) is imported when a number is first encrypted or read.

from tenant_core.auth.fields import HasPermissions, masked_for

_DIGITS = re.compile(r"^\d{12}$")
# The weights of the digits from the right: 2..7, then 2..6 (and on, for a value of any length).
_WEIGHTS = tuple(n + 1 if n <= 6 else n - 5 for n in range(1, 65))


def check_digit(first_eleven: str) -> int:
    """The check digit of a 個人番号 (番号法施行令第8条): weights 2..7, 2..6 from the right."""
    # One pass in C over the digits from the right (a migration checks one number per row).
    total = sum(map(operator.mul, map(int, reversed(first_eleven)), _WEIGHTS))
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def normalize(value: str) -> str:
    """Full-width digits to ASCII; spaces and hyphens that people type between groups removed."""
    value = unicodedata.normalize("NFKC", value)
    return re.sub(r"[\s\-]", "", value)


def is_valid(value: str) -> bool:
    return bool(_DIGITS.match(value)) and check_digit(value[:11]) == int(value[11])


def with_check_digit(first_eleven: str) -> str:
    return first_eleven + str(check_digit(first_eleven))


def _derive(secret: str, info: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"kyodo-mynumber-v1", info=info.encode()).derive(
        secret.encode()
    )


_GCM = "k2."  # "." is not in base64url: no Fernet token (they start "gAAAA") begins so
_NONCE = 12


@dataclass(frozen=True)
class Vault:
    """Encrypts and decrypts the 個人番号 of one city."""

    slug: str
    _aead: AESGCM = field(repr=False)
    _fernet: Fernet = field(repr=False)  # reads the tokens written before AES-GCM
    _digest_key: bytes = field(repr=False)
    _associated: bytes = field(repr=False)

    @classmethod
    def for_city(cls, secret: str, slug: str) -> Vault:
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        fernet_key = base64.urlsafe_b64encode(_derive(secret, f"tenant:{slug}:encrypt"))
        return cls(
            slug,
            # A key of its own for the new kind: one key is never used by two algorithms.
            AESGCM(_derive(secret, f"tenant:{slug}:encrypt-aesgcm")),
            Fernet(fernet_key),
            _derive(secret, f"tenant:{slug}:digest"),
            f"kyodo-mynumber:{slug}".encode(),
        )

    def encrypt(self, number: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, number.encode(), self._associated)
        return _GCM + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str | None) -> str | None:
        """The number, or None when there is none or the token is not this city's."""
        if not token:
            return None
        if token.startswith(_GCM):
            from cryptography.exceptions import InvalidTag

            try:
                raw = base64.urlsafe_b64decode(token[len(_GCM) :])
                return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], self._associated).decode()
            except (InvalidTag, ValueError, binascii.Error):  # ValueError: too short, or not UTF-8
                return None
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            return None

    def digest(self, number: str) -> str:
        return hmac.new(self._digest_key, number.encode(), hashlib.sha256).hexdigest()


def vault_for(slug: str) -> Vault:
    """The vault of ``slug`` under the running app's SECRET_KEY."""
    from flask import current_app

    return Vault.for_city(current_app.config["SECRET_KEY"], slug)


# Field-level: the 個人番号 is shown in full only to holders of this permission.
MYNUMBER_PERMISSION = "residents.view_mynumber"


def mynumber_for(user: HasPermissions | None, value: str | None) -> tuple[str, bool]:
    """The 個人番号 as ``user`` may see it, and whether it was shown (the access log records that)."""
    return masked_for(user, value, MYNUMBER_PERMISSION)
