"""Registering 住登外者 and 法人, and reading any addressee (resident or not) in one shape."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.atena.models import FIRST_NUMBER, Addressee, AddresseeKind, AtenaCounter
from modules.residents import public as residents
from tenant_core import sequences
from tenant_core.errors import Collector
from tenant_core.inputs import has_control_characters

SEQUENCE = "atena"
_POSTCODE = re.compile(r"^(\d{3})-?(\d{4})$")


def corporate_check_digit(base: str) -> int:
    """The check digit (first digit) of a 法人番号 from its 12-digit 基礎番号.

    法人番号の指定等に関する省令（平成26年財務省令第70号）第2条: 9 - (Σ Pn × Qn を9で除した余り),
    Pn the n-th digit counted from the lowest, Qn 1 for odd n and 2 for even n.
    """
    total = sum(int(d) * (1 if n % 2 else 2) for n, d in enumerate(reversed(base), start=1))
    return 9 - total % 9


def corporate_number_valid(number: str) -> bool:
    return bool(re.fullmatch(r"[1-9]\d{12}", number)) and corporate_check_digit(number[1:]) == int(number[0])


def normalise_postcode(text: str) -> str | None:
    match = _POSTCODE.fullmatch(unicodedata.normalize("NFKC", text or "").strip())
    return f"{match.group(1)}-{match.group(2)}" if match else None


@dataclass(frozen=True)
class Entry:
    """Any addressee of the city, as a module prints or shows it."""

    atena_no: int
    kind: str  # AddresseeKind
    name: str
    kana: str
    postcode: str  # 123-4567, or "" when unknown
    address: str
    address_after_town: str
    corporate_number: str | None = None
    current: bool = True  # a resident still on the register; always True for the others


def register(
    session: Session,
    *,
    kind: str,
    name: str,
    address: str,
    postcode: str,
    by: str,
    kana: str = "",
    address_after_town: str = "",
    corporate_number: str | None = None,
) -> Addressee:
    """A new 住登外者 or 法人 with the next 宛名番号; every problem at once (``InputError``)."""
    problems = Collector()
    if kind not in (AddresseeKind.nonresident, AddresseeKind.corporation):
        problems.add("kind", _("宛名の種別は住登外者か法人を選んでください。"))
    for field, value, label, limit in (
        ("name", name, _("氏名・名称"), 200),
        ("address", address, _("住所"), 300),
    ):
        if not (value or "").strip():
            problems.add(field, _("%(label)sを入力してください。", label=label))
        elif len(value) > limit or has_control_characters(value):
            problems.add(
                field,
                _("%(label)sは%(max)s文字以内で、制御文字を含めないでください。", label=label, max=limit),
            )
    code = normalise_postcode(postcode)
    if code is None:
        problems.add("postcode", _("郵便番号は「417-8601」の形で入力してください。"))
    number = None
    if kind == AddresseeKind.corporation:
        number = unicodedata.normalize("NFKC", corporate_number or "").strip()
        if not corporate_number_valid(number):
            problems.add(
                "corporate_number", _("法人番号は13桁で、先頭の検査用数字が正しいものを入力してください。")
            )
        elif session.scalar(sa.select(Addressee.id).where(Addressee.corporate_number == number)):
            problems.add("corporate_number", _("この法人番号の法人は既に登録されています。"))
    problems.raise_if_any()
    row = Addressee(
        atena_no=sequences.reserve(session, AtenaCounter, SEQUENCE, first=FIRST_NUMBER),
        kind=kind,
        name=name.strip(),
        kana=(kana or "").strip()[:200],
        corporate_number=number,
        postcode=code or "",
        address=address.strip(),
        address_after_town=(address_after_town or "").strip()[:200],
        registered_by=by,
    )
    session.add(row)
    session.flush()
    return row


def _from_row(row: Addressee) -> Entry:
    return Entry(
        atena_no=row.atena_no,
        kind=row.kind,
        name=row.name,
        kana=row.kana,
        postcode=row.postcode,
        address=row.address,
        address_after_town=row.address_after_town,
        corporate_number=row.corporate_number,
    )


def _postcodes() -> dict[str, str]:
    from tenant_core.params.services import param

    return {r["town"]: normalise_postcode(r["postcode"]) or "" for r in param("atena.postcodes")}


def _from_person(person: residents.Person, prefix: str, postcodes: dict[str, str]) -> Entry:
    after = person.banchi + (f" {person.katagaki}" if person.katagaki else "")
    return Entry(
        atena_no=person.atena_no,
        kind=AddresseeKind.resident,
        name=person.full_name,
        kana=person.full_kana,
        postcode=postcodes.get(person.town, ""),
        address=prefix + person.town + after,
        address_after_town=after,
        current=residents.is_resident(person),
    )


def get_entries(session: Session, atena_nos: Iterable[int]) -> dict[int, Entry]:
    """The addressees of these numbers in the session's city (others simply absent), few queries."""
    from tenant_core.params.services import param

    wanted = [n for n in dict.fromkeys(atena_nos) if isinstance(n, int)]
    found: dict[int, Entry] = {}
    own = [n for n in wanted if n >= FIRST_NUMBER]
    for i in range(0, len(own), 1000):
        for row in session.scalars(sa.select(Addressee).where(Addressee.atena_no.in_(own[i : i + 1000]))):
            found[row.atena_no] = _from_row(row)
    others = [n for n in wanted if n < FIRST_NUMBER]
    if others:
        prefix, postcodes = param("atena.address_prefix"), _postcodes()
        for number, person in residents.get_persons(session, others).items():
            found[number] = _from_person(person, prefix, postcodes)
    return found


def get_entry(session: Session, atena_no: int | None) -> Entry | None:
    if atena_no is None:
        return None
    return get_entries(session, [atena_no]).get(atena_no)


def list_addressees(session: Session, limit: int = 200) -> list[Addressee]:
    return list(session.scalars(sa.select(Addressee).order_by(Addressee.atena_no).limit(limit)))
