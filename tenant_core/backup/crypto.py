"""Encryption of backup archives at rest: AES-256-GCM over fixed-size chunks (the STREAM construction).

The file is a header (magic, format version, a random nonce prefix, a fingerprint of the key) and then
chunks, each ``4-byte length | ciphertext+tag``. A chunk's nonce is the prefix, its counter and a flag
marking the last chunk, and the header is authenticated with every chunk: a chunk altered, swapped,
dropped, or a file cut short is refused, and so is a file that ends without its last chunk.
The key is the operator's (``KYODO_BACKUP_KEY`` or a key file), never the application's secret: an
archive stored off site must not be readable by whoever holds only a copy of the running system.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"KYODOBK1"
CHUNK = 1 << 20  # 1 MiB of plaintext per chunk
_PREFIX_LEN = 7
_CHECK_LEN = 16
HEADER_LEN = len(MAGIC) + _PREFIX_LEN + _CHECK_LEN


class BackupKeyError(ValueError):
    """The key is missing, malformed, or not the one the archive was written with."""


class ArchiveCorrupt(ValueError):
    """The archive was altered, cut short or is not an archive at all."""


def generate_key() -> str:
    """A new random key, in the text form that ``KYODO_BACKUP_KEY`` and key files hold."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def parse_key(text: str | bytes, app_secret: str | None = None) -> bytes:
    """The 32 key bytes from their url-safe base64 form; refuses the app's own secret."""
    raw = text.decode() if isinstance(text, bytes) else text
    raw = raw.strip()
    if not raw:
        raise BackupKeyError("the backup key is empty")
    if app_secret and hmac.compare_digest(raw, app_secret):
        raise BackupKeyError("the backup key must not be the application's secret key")
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except ValueError:
        key = b""
    if len(key) != 32:
        raise BackupKeyError(
            "the backup key must be 32 random bytes in url-safe base64 (make one with `kyodo backup keygen`)"
        )
    return key


def load_key(key_file: Path | None, env_value: str | None, app_secret: str | None) -> bytes:
    """The operator's key: a key file wins over ``KYODO_BACKUP_KEY``."""
    if key_file is not None:
        try:
            return parse_key(key_file.read_bytes(), app_secret)
        except OSError as exc:
            raise BackupKeyError(f"cannot read the key file {key_file}: {exc.strerror}") from None
    if env_value:
        return parse_key(env_value, app_secret)
    raise BackupKeyError("no backup key: set KYODO_BACKUP_KEY or pass --key-file")


def _fingerprint(key: bytes) -> bytes:
    return hmac.new(key, b"kyodo-backup-key-check", hashlib.sha256).digest()[:_CHECK_LEN]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


def encrypt_file(source: BinaryIO, target: BinaryIO, key: bytes) -> None:
    """Encrypt ``source`` to ``target`` chunk by chunk (memory stays at two chunks)."""
    aead = AESGCM(key)
    prefix = os.urandom(_PREFIX_LEN)
    header = MAGIC + prefix + _fingerprint(key)
    target.write(header)
    counter = 0
    chunk = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        last = not following
        sealed = aead.encrypt(_nonce(prefix, counter, last), chunk, header)
        target.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return
        chunk, counter = following, counter + 1


def encrypt_to(plain: Path, out: Path, key: bytes) -> None:
    """Encrypt the file ``plain`` into ``out``, readable by its owner only. The file appears whole or not
    at all: it is written beside ``out``, flushed to the disk, then renamed over it, so a crash never
    leaves a cut archive under the real name."""
    partial = out.with_name(out.name + ".partial")
    with plain.open("rb") as source, partial.open("wb") as target:
        encrypt_file(source, target, key)
        target.flush()
        os.fsync(target.fileno())
    partial.chmod(0o600)
    os.replace(partial, out)


def decrypt_chunks(source: BinaryIO, key: bytes) -> Iterator[bytes]:
    """The plaintext, chunk by chunk; raises before yielding anything it could not authenticate."""
    header = source.read(HEADER_LEN)
    if len(header) < HEADER_LEN or not header.startswith(MAGIC):
        raise ArchiveCorrupt("not a Kyodo backup archive (or its beginning is damaged)")
    prefix = header[len(MAGIC) : len(MAGIC) + _PREFIX_LEN]
    if not hmac.compare_digest(header[-_CHECK_LEN:], _fingerprint(key)):
        raise BackupKeyError("wrong key: this archive was written with another backup key")
    aead = AESGCM(key)
    counter = 0
    while True:
        length_bytes = source.read(4)
        if len(length_bytes) < 4:
            raise ArchiveCorrupt("the archive is truncated (its last part is missing)")
        (length,) = struct.unpack(">I", length_bytes)
        if length > CHUNK + 16:
            raise ArchiveCorrupt("the archive is damaged (a part has an impossible length)")
        sealed = source.read(length)
        if len(sealed) < length:
            raise ArchiveCorrupt("the archive is truncated")
        for last in (False, True):
            try:
                plain = aead.decrypt(_nonce(prefix, counter, last), sealed, header)
            except InvalidTag:
                continue
            break
        else:
            raise ArchiveCorrupt(f"the archive was altered or damaged (part {counter + 1} fails its check)")
        yield plain
        if last:
            if source.read(1):
                raise ArchiveCorrupt("the archive has data after its last part")
            return
        counter += 1


def decrypt_file(source: BinaryIO, target: BinaryIO, key: bytes) -> None:
    for plain in decrypt_chunks(source, key):
        target.write(plain)
