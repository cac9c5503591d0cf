"""The rows checked in the first pass, kept for the second on disk, encrypted with a key that lives only in
this process: the file is read once, memory stays flat, and what lies on disk (個人番号 included) is
unreadable to anyone else and deleted at the end.
"""

from __future__ import annotations

import pickle
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_LENGTH = struct.Struct(">I")


class Spool:
    def __init__(self, directory: Path | None = None, batch: int = 2000) -> None:
        from cryptography.fernet import Fernet  # only when a run spools, not at start-up

        self._fernet = Fernet(Fernet.generate_key())
        self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 (closed by close())
        self._pending: list[Any] = []
        self._batch = batch

    def add(self, item: Any) -> None:
        self._pending.append(item)
        if len(self._pending) >= self._batch:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            token = self._fernet.encrypt(pickle.dumps(self._pending, protocol=pickle.HIGHEST_PROTOCOL))
            self._file.write(_LENGTH.pack(len(token)))
            self._file.write(token)
            self._pending = []

    def __iter__(self) -> Iterator[Any]:
        self._flush()
        self._file.seek(0)
        while head := self._file.read(_LENGTH.size):
            (size,) = _LENGTH.unpack(head)
            # Our own bytes, authenticated by the key only this process holds: safe to unpickle.
            yield from pickle.loads(self._fernet.decrypt(self._file.read(size)))

    def close(self) -> None:
        self._file.close()
