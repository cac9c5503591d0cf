"""Business operations of 証明書交付: issue, read the register, verify; services flush only.

An issue checks all of its input before it records anything and raises CertificateError
(messages by field) when something is wrong: nothing is then recorded. Each issuance keeps what
was printed (persons, layout, fee) so ``render_pdf`` gives the same certificate again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from modules.certificates import codes
from modules.certificates.errors import CertificateError
from modules.certificates.models import CertificateCounter, Issuance, Kind
from modules.certificates.pdf import render_pdf
from modules.residents import public as residents
from modules.residents.public import MYNUMBER_PERMISSION, Person, Vault
from tenant_core import emergency, sequences
from tenant_core.auth.current import CurrentUser
from tenant_core.japanese import fiscal_year_of, japan_today
from tenant_core.tenancy import TenantRef

__all__ = [
    "JuminhyoOptions",
    "Layout",
    "Requester",
    "get_issuance",
    "issue_inkan",
    "issue_juminhyo",
    "register_list",
    "render_pdf",
    "verify",
]

SCOPES = {"person": _l("個人（請求のあった方のみ）"), "household": _l("世帯全員")}
RELATIONS = ("本人", "同一世帯", "代理人", "第三者")  # stored as written: the register's wording
RELATION_LABELS = {
    "本人": _l("本人"),
    "同一世帯": _l("同一世帯"),
    "代理人": _l("代理人"),
    "第三者": _l("第三者"),
}
# 住民基本台帳法第12条第5項: the 個人番号 only on a request by the person or a member of the household.
MYNUMBER_RELATIONS = ("本人", "同一世帯")


@dataclass(frozen=True)
class JuminhyoOptions:
    """The items a 住民票の写し shows, chosen per request."""

    scope: str = "person"
    relationship: bool = True  # 世帯主・続柄
    honseki: bool = False  # 本籍・筆頭者
    mynumber: bool = False  # 個人番号
    mynumber_condition: str = ""  # the legal condition, recorded when the 個人番号 is included


@dataclass(frozen=True)
class Requester:
    """請求者 and 請求事由, as the law requires them to be recorded."""

    name: str
    relation: str
    purpose: str = ""


@dataclass(frozen=True)
class Layout:
    """The city's layout in force on the issue day (parameters ``certificates.*``)."""

    city_name: str
    mayor_title: str
    wording: str
    fee: int
    verify_url: str = ""

    @classmethod
    def current(cls, tenant: TenantRef, kind: Kind, on: dt.date, verify_url: str = "") -> Layout:
        from tenant_core.params import services as params

        inkan = kind == Kind.inkan
        return cls(
            city_name=tenant.name,
            mayor_title=params.param("certificates.mayor_title", on=on),
            wording=params.param("certificates.wording_inkan" if inkan else "certificates.wording", on=on),
            fee=int(params.param("certificates.fee.inkan" if inkan else "certificates.fee.juminhyo", on=on)),
            verify_url=verify_url,
        )


# --- reading -------------------------------------------------------------------------------


def get_issuance(session: Session, number: str) -> Issuance | None:
    """The issuance with this 交付番号 in the session's city (None if there is none)."""
    return session.scalar(sa.select(Issuance).where(Issuance.number == number))


def issuances_of(session: Session, atena_no: int) -> list[Issuance]:
    """The certificates issued for this person in the session's city, newest first (the inquiry screen)."""
    query = sa.select(Issuance).where(Issuance.atena_no == atena_no)
    return list(session.scalars(query.order_by(Issuance.issued_at.desc(), Issuance.id.desc())))


@dataclass
class RegisterPage:
    rows: list[Issuance]
    total: int
    page: int
    per_page: int


def register_list(
    session: Session,
    page: int = 1,
    per_page: int = 20,
    *,
    kind: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> RegisterPage:
    """The issuance register (交付簿), newest first, one page at a time, filtered by kind and date."""
    where = []
    if kind:
        where.append(Issuance.kind == kind)
    if date_from:
        where.append(Issuance.issued_on >= date_from)
    if date_to:
        where.append(Issuance.issued_on <= date_to)
    total = session.scalar(sa.select(sa.func.count()).select_from(Issuance).where(*where)) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = session.scalars(
        sa.select(Issuance)
        .where(*where)
        .order_by(Issuance.issued_at.desc(), Issuance.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return RegisterPage(list(rows), total, page, per_page)


@dataclass(frozen=True)
class Verification:
    """What the public verification page may tell: nothing about the person."""

    valid: bool
    kind_label: str = ""
    issued_on: dt.date | None = None


def verify(session: Session, number: str | None, code: str | None) -> Verification:
    """Whether a 交付番号 and 照合番号 belong together in this city."""
    clean = codes.clean_number(number)
    given = codes.clean_code(code)
    row = get_issuance(session, clean) if clean else None
    # Compare even when there is no row, so the answer takes the same time either way.
    stored = row.verification_code if row else "0" * codes.CODE_LENGTH
    if row is None or not codes.same_code(stored, given):
        return Verification(False)
    return Verification(True, row.kind_label, row.issued_on)


# --- issuing -------------------------------------------------------------------------------


def _reserve(session: Session, name: str) -> int:
    """The next serial of a fiscal year's 交付番号 (its counter row made on first use)."""
    return sequences.reserve(session, CertificateCounter, name)


def _person(session: Session, atena_no: int | None) -> Person:
    try:
        person = residents.require_person(session, atena_no)
    except residents.PersonNotFound:
        raise CertificateError(
            _("指定された宛名番号の方は、この市の住民記録にありません。"), "atena_no", not_found=True
        ) from None
    if not residents.is_resident(person):
        raise CertificateError(
            _("この方は住民ではありません（転出・死亡による除票）。除票の写しはこの画面では交付できません。"),
            "atena_no",
        )
    return person


def _check_protection(session: Session, person: Person, requester: Requester) -> None:
    """支援措置・抑止: the register refuses a 加害者's request (and logs it) or asks for a reason."""
    verdict = residents.protection_check(
        session, person.atena_no, requester.name, relation=requester.relation, purpose=requester.purpose
    )
    if not verdict.allowed:
        raise CertificateError(verdict.message, verdict.field)


def _check_requester(errors: dict[str, str], requester: Requester, purpose_required: bool) -> None:
    if not (1 <= len(requester.name.strip()) <= 100):
        errors["requester_name"] = _("請求者の氏名を100文字以内で入力してください。")
    if requester.relation not in RELATIONS:
        errors["requester_relation"] = _("請求者と対象者の関係を選択してください。")
    purpose = requester.purpose.strip()
    if purpose_required and not purpose:
        errors["purpose"] = _("請求事由を入力してください（住民基本台帳法第12条）。")
    elif len(purpose) > 300:
        errors["purpose"] = _("請求事由は300文字以内で入力してください。")


def _person_entry(person: Any, options: JuminhyoOptions, token: str | None) -> dict[str, Any]:
    entry = {
        "atena_no": person.atena_no,
        "family_name": person.family_name,
        "given_name": person.given_name,
        "family_kana": person.family_kana,
        "given_kana": person.given_kana,
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "resident_since": person.resident_since.isoformat(),
    }
    if options.relationship:
        entry["relationship"] = person.relationship
    if options.honseki:
        # As the register has them on the issue day; "" when it has none (a 外国人住民, say).
        entry["honseki"] = person.honseki or ""
        entry["hitto_sha"] = person.hitto_sha or ""
    if options.mynumber:
        entry["mynumber_token"] = token or ""  # encrypted with the city's key, as in the register
    return entry


def _layout_dict(layout: Layout) -> dict[str, Any]:
    printed = {
        "city_name": layout.city_name,
        "mayor_title": layout.mayor_title,
        "wording": layout.wording,
        "fee": layout.fee,
        "verify_url": layout.verify_url,
    }
    banner = emergency.printed_banner()  # issued at the emergency counter: the snapshot's date is printed
    if banner:
        printed["emergency"] = banner
    return printed


def _new_issuance(
    session: Session, kind: Kind, on: dt.date, user: CurrentUser, requester: Requester, layout: Layout
) -> Issuance:
    fiscal_year = fiscal_year_of(on)
    serial = _reserve(session, f"fy{fiscal_year}")
    return Issuance(
        number=codes.issuance_number(fiscal_year, serial),
        fiscal_year=fiscal_year,
        serial=serial,
        kind=kind,
        fee=layout.fee,
        requester_name=requester.name.strip(),
        requester_relation=requester.relation,
        purpose=requester.purpose.strip(),
        verification_code=codes.new_code(),
        issued_by=user.operator_id,
        issued_on=on,
    )


def _finish(session: Session, issuance: Issuance, vault: Vault | None, render: bool) -> Issuance:
    # The hash of the PDF as issued; the PDF is deterministic, so a reprint hashes the same.
    pdf = render_pdf(issuance, vault) if render else b""
    issuance.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    session.add(issuance)
    session.flush()
    return issuance


def issue_juminhyo(
    session: Session,
    tenant: TenantRef,
    atena_no: int | None,
    options: JuminhyoOptions,
    requester: Requester,
    user: CurrentUser,
    *,
    vault: Vault | None = None,
    layout: Layout | None = None,
    on: dt.date | None = None,
    render: bool = True,
) -> Issuance:
    """住民票の写し for one person or their whole household, recorded in the register with its fee.

    ``render=False`` skips drawing the PDF (the benchmark's register-only figure); the stored hash
    is then that of an empty document.
    """
    person = _person(session, atena_no)
    _check_protection(session, person, requester)
    errors: dict[str, str] = {}
    if options.scope not in SCOPES:
        errors["scope"] = _("記載の範囲（世帯全員または個人）を選択してください。")
    _check_requester(errors, requester, purpose_required=True)
    condition = options.mynumber_condition.strip()
    if options.mynumber:
        if not user.can(MYNUMBER_PERMISSION):
            errors["mynumber"] = _("個人番号を記載する権限がありません（個人番号の閲覧権限が必要です）。")
        elif requester.relation not in MYNUMBER_RELATIONS:
            errors["mynumber"] = _(
                "個人番号を記載できるのは、本人または同一世帯の方からの請求に限られます"
                "（住民基本台帳法第12条第5項）。"
            )
        elif not condition:
            errors["mynumber_condition"] = _(
                "個人番号を記載する場合は、法令上の条件（本人確認の方法など）を記録してください。"
            )
        elif len(condition) > 300:
            errors["mynumber_condition"] = _("法令上の条件は300文字以内で入力してください。")
        elif vault is None:
            raise RuntimeError("the city's vault is needed to print the 個人番号")
    if errors:
        raise CertificateError(errors)

    on = on or japan_today()
    layout = layout or Layout.current(tenant, Kind.juminhyo, on)
    if options.scope == "household":
        members = residents.household_members(session, person.household_id)
    else:
        members = [residents.PersonState.of(person)]
    tokens = {}
    if options.mynumber:
        rows = residents.get_persons(session, [m.atena_no for m in members])
        tokens = {p.id: p.mynumber_token for p in rows.values()}
    head = next((m for m in members if m.is_head), None)
    if head is None and options.relationship:
        head = residents.household_head(session, person.household_id)
    head_name = head.full_name if head else ""

    issuance = _new_issuance(session, Kind.juminhyo, on, user, requester, layout)
    issuance.atena_no = person.atena_no
    issuance.scope = options.scope
    issuance.items = {
        "relationship": options.relationship,
        "honseki": options.honseki,
        "mynumber": options.mynumber,
    }
    issuance.persons = [m.atena_no for m in members]
    issuance.mynumber_condition = condition if options.mynumber else None
    issuance.content = {
        "layout": _layout_dict(layout),
        "address": f"{tenant.name}{person.town}{person.banchi}",
        "katagaki": person.katagaki,
        "head_name": head_name if options.relationship else "",
        # 本籍・筆頭者 travel with each person (a household may hold several 戸籍).
        "persons": [_person_entry(m, options, tokens.get(m.person_id)) for m in members],
    }
    return _finish(session, issuance, vault, render)


def issue_inkan(
    session: Session,
    tenant: TenantRef,
    atena_no: int | None,
    requester: Requester,
    user: CurrentUser,
    *,
    layout: Layout | None = None,
    on: dt.date | None = None,
    render: bool = True,
) -> Issuance:
    """印鑑登録証明書 of a resident's registered seal, recorded in the register with its fee."""
    from modules.seals import public as seals  # the seal module is required by this one's manifest

    person = _person(session, atena_no)
    _check_protection(session, person, requester)
    errors: dict[str, str] = {}
    _check_requester(errors, requester, purpose_required=False)
    registration = seals.active_registration(session, person.atena_no, lock=True)
    if registration is None:
        errors["atena_no"] = _(
            "この方には登録されている印鑑がありません（印鑑登録の画面で確認してください）。"
        )
    if errors or registration is None:  # no registration means an error was added above
        raise CertificateError(errors)

    on = on or japan_today()
    layout = layout or Layout.current(tenant, Kind.inkan, on)
    issuance = _new_issuance(session, Kind.inkan, on, user, requester, layout)
    issuance.atena_no = person.atena_no
    issuance.scope = "person"
    issuance.items = {"registration_no": registration.registration_no}
    issuance.persons = [person.atena_no]
    issuance.mynumber_condition = None
    issuance.seal_image = registration.image
    issuance.seal_image_mime = registration.image_mime
    issuance.content = {
        "layout": _layout_dict(layout),
        "address": f"{tenant.name}{person.town}{person.banchi}",
        "katagaki": person.katagaki,
        "registration_no": registration.registration_no,
        "registered_on": registration.registered_on.isoformat(),
        "persons": [_person_entry(person, JuminhyoOptions(relationship=False), None)],
    }
    return _finish(session, issuance, None, render)


def param_honseki_default() -> bool:
    """Whether the form ticks 本籍 by default (parameter ``certificates.honseki_default``)."""
    from tenant_core.params import services as params

    return params.param("certificates.honseki_default") == "print"
