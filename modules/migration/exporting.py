"""``kyodo migrate export`` and ``kyodo migrate handover``: the register in the exchange layout.

The export is what an import reads: an import of it into an empty city gives the same register (除票 and
外国人住民 included). ``--as-of`` gives the state at the end of a date, replayed from the events.
The hand-over (the 72-hour hand-over the national non-functional standard asks of 住民記録 after a
disaster) is the same files plus a manifest with their SHA-256 checksums; it reads the live database,
or the city restored from its latest backup into a throw-away database (``from_backup.py``).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from modules.migration import layout
from modules.migration.gaiji import Cp932Writer, fits_cp932, reverse_table
from modules.migration.models import PersonExtra
from modules.residents.public import Outgoing, Vault, iter_register
from modules.seals.public import OutgoingSeal, iter_seals
from tenant_core.models import utcnow

ENCODINGS = ("utf-8", "cp932")
_EXT = {"image/png": ".png", "image/jpeg": ".jpg"}
# One fixed time on every image in the zip (not the time of writing): the same register gives the same
# file, so two hand-overs (from the database, from its backup) can be compared by their checksums.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _date(day: dt.date | None) -> str:
    return day.strftime("%Y%m%d") if day else ""


def person_row(p: Outgoing, extras: dict[str, Any]) -> list[str]:
    items = p.items
    values: dict[str, str] = {}
    for col in layout.PERSON_COLUMNS:
        item = col.item
        if item == "atena_no":
            value = str(p.atena_no)
        elif item == "household_no":
            value = str(p.household_no)
        elif item == "mynumber":
            value = p.mynumber or ""
        elif item == "sex":
            value = layout.code_of(layout.SEX, items["sex"])
        elif item == "citizenship":
            value = layout.code_of(layout.CITIZENSHIP, items["citizenship"])
        elif item == "foreign_category":
            value = layout.code_of(layout.FOREIGN_CATEGORY, items["foreign_category"])
        elif item == "status":
            value = extras.get("status") or layout.code_of(layout.STATUS, items["status"])
        elif item.startswith("extra."):
            value = str(extras.get(item[6:], ""))
        else:
            raw = items[item]
            value = _date(raw) if isinstance(raw, dt.date) else ("" if raw is None else str(raw))
        values[col.name] = value
    return [values[name] for name in layout.PERSON_HEADER]


class RegisterSource(Protocol):
    """Where an export reads the register (``DatabaseSource``: the live database or a restored backup)."""

    def persons(self, as_of: dt.date | None) -> Iterator[tuple[Outgoing, dict[str, Any]]]: ...

    def seals(self) -> Iterator[OutgoingSeal]: ...

    def reverse_gaiji(self) -> dict[str, str]: ...


class DatabaseSource:
    """The city's schema in a database: the running one, or a backup restored into a temporary one."""

    def __init__(self, session: Session, vault: Vault) -> None:
        self.session, self.vault = session, vault

    def persons(self, as_of: dt.date | None) -> Iterator[tuple[Outgoing, dict[str, Any]]]:
        pending: list[Outgoing] = []

        def drain() -> Iterator[tuple[Outgoing, dict[str, Any]]]:
            extras: dict[int, dict[str, Any]] = dict(
                self.session.execute(
                    sa.select(PersonExtra.atena_no, PersonExtra.items).where(
                        PersonExtra.atena_no.in_([o.atena_no for o in pending])
                    )
                ).all()
            )
            for o in pending:
                yield o, extras.get(o.atena_no) or {}
            pending.clear()

        for outgoing in iter_register(self.session, self.vault, as_of=as_of):
            pending.append(outgoing)
            if len(pending) >= 2000:
                yield from drain()
        if pending:
            yield from drain()

    def seals(self) -> Iterator[OutgoingSeal]:
        return iter_seals(self.session)

    def reverse_gaiji(self) -> dict[str, str]:
        return reverse_table(self.session)


@dataclass
class Exported:
    files: list[Path]
    persons: int
    seals: int
    reductions: int


def _zip_entry(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.external_attr = 0o644 << 16  # what writestr gives a plain name: unzip makes a readable file
    return info


def _writer(path: Path, encoding: str) -> tuple[Any, Any]:
    # cp932 files are written with CRLF, as Windows systems expect; values were made to fit beforehand.
    f = path.open("w", encoding="utf-8-sig" if encoding == "utf-8" else "cp932", newline="")
    return f, csv.writer(f, lineterminator="\r\n")


def export(
    source: RegisterSource,
    out: Path,
    *,
    slug: str,
    encoding: str = "utf-8",
    as_of: dt.date | None = None,
    gaiji_back: bool = False,
) -> Exported:
    """``residents_<slug>.csv``, ``seals_<slug>.csv`` and ``seal_images_<slug>.zip`` in ``out``.

    A value a cp932 file cannot carry is made to fit (``Cp932Writer``) and every choice is listed in
    ``reductions_<slug>.csv``. Export values are written as the layout states them, never neutralised
    as spreadsheet text: the file is data for another system, not a report (its import checks them).
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}")
    out.mkdir(parents=True, exist_ok=True)
    fitter = Cp932Writer(source.reverse_gaiji() if gaiji_back else None) if encoding == "cp932" else None
    persons_path = out / f"residents_{slug}.csv"
    reductions: list[list[str]] = []
    count = 0
    f, writer = _writer(persons_path, encoding)
    with f:
        writer.writerow(layout.PERSON_HEADER)
        for outgoing, extras in source.persons(as_of):
            row = person_row(outgoing, extras)
            if fitter is not None and not fits_cp932("".join(row)):
                fitted = []
                for name, value in zip(layout.PERSON_HEADER, row, strict=True):
                    before = len(fitter.choices)
                    fitted.append(fitter.fit(value))
                    if len(fitter.choices) > before:
                        c = fitter.choices[-1]
                        reductions.append([str(outgoing.atena_no), name, c.original, c.written, c.how])
                    del fitter.choices[:]
                row = fitted
            writer.writerow(row)
            count += 1
    files = [persons_path]
    seals_path = out / f"seals_{slug}.csv"
    images_path = out / f"seal_images_{slug}.zip"
    seal_count = 0
    f, writer = _writer(seals_path, encoding)
    with f, zipfile.ZipFile(images_path, "w", compression=zipfile.ZIP_STORED) as images:
        writer.writerow(layout.SEAL_HEADER)
        for seal in source.seals():
            if as_of is not None and seal.registered_on > as_of:
                continue
            name = ""
            if seal.image:
                name = f"{seal.registration_no}{_EXT.get(seal.image_mime, '.bin')}"
                images.writestr(_zip_entry(name), seal.image)
            ended = seal.ended_on if (as_of is None or (seal.ended_on and seal.ended_on <= as_of)) else None
            status = (
                layout.code_of(layout.SEAL_STATUS, seal.status)
                if ended or seal.status == "registered"
                else "1"
            )
            writer.writerow(
                [
                    seal.registration_no,
                    str(seal.atena_no),
                    _date(seal.registered_on),
                    status,
                    _date(ended),
                    name,
                ]
            )
            seal_count += 1
    files += [seals_path, images_path]
    if reductions:
        from tenant_core import exports

        path = out / f"reductions_{slug}.csv"
        path.write_text(
            exports.csv_text(("宛名番号", "列", "元の値", "出力した値", "方法"), reductions), encoding="utf-8"
        )
        files.append(path)
    return Exported(files, count, seal_count, len(reductions))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def handover(
    source: RegisterSource,
    out: Path,
    *,
    slug: str,
    origin: str,
    encoding: str = "utf-8",
    backup: dict[str, Any] | None = None,
) -> Path:
    """Every resident's data in the layout plus ``manifest.json`` (each file's size and SHA-256).

    ``backup`` (with ``origin="backup"``) names the archive the data came from (its file name, SHA-256
    and creation time): the receiver knows how old the data is.
    """
    exported = export(source, out, slug=slug, encoding=encoding)
    manifest: dict[str, Any] = {
        "layout": layout.VERSION,
        "city": slug,
        "written_at": utcnow().isoformat() + "Z",
        "source": origin,
        **({"backup": backup} if backup is not None else {}),
        "encoding": encoding,
        "persons": exported.persons,
        "seals": exported.seals,
        "files": [
            {"name": p.name, "bytes": p.stat().st_size, "sha256": sha256_file(p)} for p in exported.files
        ],
    }
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
