"""Reading a layout file: its encoding (cp932 or UTF-8, told or detected), its rows with their line numbers,
and the 外字 of a cp932 file (private-use code points) mapped through the city's table.

Files are read as streams, twice at most (once to check, once to apply): memory does not grow with the
size of a city.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ENCODINGS = ("utf-8", "cp932")
CHUNK = 1 << 20
PRIVATE_USE = re.compile("[\ue000-\uf8ff]")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a file: where (line, column), what was there, which rule it breaks (in Japanese)."""

    file: str
    line: int
    column: str
    value: str
    rule: str


@dataclass(frozen=True)
class BadEncoding:
    line: int
    byte: int  # the offending byte's position in its line, from 1
    value: str  # the bytes around it, in hex


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def first_bad_byte(path: Path, encoding: str) -> BadEncoding | None:
    """Where the file stops being ``encoding``; None when it decodes whole."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    line, line_start, offset = 1, 0, 0
    with path.open("rb") as f:
        while True:
            chunk = f.read(CHUNK)
            final = not chunk
            try:
                decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                # The decoder may hold a byte or two of the previous chunk: position within what it saw.
                bad = offset + exc.start - (len(exc.object) - len(chunk))
                f.seek(0)
                head = f.read(bad + 1)
                line = head.count(b"\n") + 1
                line_start = head.rfind(b"\n", 0, bad) + 1
                return BadEncoding(line, bad - line_start + 1, head[bad : bad + 1].hex() + f.read(3).hex())
            if final:
                return None
            offset += len(chunk)


def detect(path: Path, told: str | None) -> tuple[str | None, BadEncoding | None]:
    """The file's encoding, or None and where it broke (for the encoding told, else for the nearer miss)."""
    if told:
        bad = first_bad_byte(path, told)
        return (told, None) if bad is None else (None, bad)
    misses: list[BadEncoding] = []
    for encoding in ENCODINGS:
        bad = first_bad_byte(path, encoding)
        if bad is None:
            return encoding, None
        misses.append(bad)
    return None, max(misses, key=lambda b: (b.line, b.byte))


def rows(path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """Each record with the line it starts on (a quoted value may span lines); the header is line 1."""
    text_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    with path.open(encoding=text_encoding, newline="") as f:
        reader = csv.reader(f)
        last = 0
        for record in reader:
            yield last + 1, record
            last = reader.line_num


def map_gaiji(text: str, table: dict[str, str]) -> tuple[str, list[str]]:
    """The text with each private-use character replaced through the city's table; the unmapped ones."""
    if not PRIVATE_USE.search(text):
        return text, []
    missing: list[str] = []

    def one(match: re.Match[str]) -> str:
        char = match.group()
        if char in table:
            return table[char]
        missing.append(char)
        return char

    return PRIVATE_USE.sub(one, text), missing
