"""Business operations of 証明書交付: issue, read the register, verify; services flush only.

An issue checks all of its input before it records anything and raises CertificateError
(messages by field) when something is wrong: nothing is then recorded. Each issuance keeps what
was printed (persons, layout, fee) so ``render_pdf`` gives the same certificate again.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from modules.certificates import codes
from modules.certificates.errors import CertificateError
from modules.certificates.models import FORM_LABELS, CertificateCounter, Issuance, Kind
from modules.certificates.pdf import CityImages, render_pdf, title_of
from modules.residents import public as residents
from modules.residents.public import MYNUMBER_PERMISSION, Person, Vault
from tenant_core import emergency, sequences
from tenant_core.auth.current import CurrentUser
from tenant_core.concurrency import check_version, lock_rows
from tenant_core.japanese import JST, fiscal_year_of, japan_today
from tenant_core.models import utcnow
from tenant_core.tenancy import TenantRef

__all__ = [
    "JuminhyoOptions",
    "Layout",
    "Requester",
    "cancel",
    "get_issuance",
    "issue_inkan",
    "issue_joshu",
    "issue_juminhyo",
    "issue_tenshutsu",
    "issued_pdf",
    "register_list",
    "reissue",
    "render_pdf",
    "verify",
    "verify_pdf",
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
    juminhyo_code: bool = False  # 住民票コード (住基法12条5項: only when the request asks for it)
    kyuuji: bool = False  # 旧氏 (日本人住民, when recorded and asked for)
    form: str = ""  # kojin (個人票) or renki (世帯連記式); "" the city's default


@dataclass(frozen=True)
class Requester:
    """請求者 and 請求事由, as the law requires them to be recorded."""

    name: str
    relation: str
    purpose: str = ""


WORDING_KEYS = {
    Kind.juminhyo: "certificates.wording",
    Kind.joshu: "certificates.wording_joshu",
    Kind.tenshutsu: "certificates.wording_tenshutsu",
    Kind.inkan: "certificates.wording_inkan",
}


def verify_address(tenant: TenantRef) -> str:
    """The public verification page printed on certificates: ``KYODO_PUBLIC_URL``, never the request's host."""
    from tenant_core.extensions import get_settings

    return f"{get_settings().resolved_public_url()}/{tenant.slug}/certificates/verify"


@dataclass(frozen=True)
class Layout:
    """The city's layout in force on the issue day (parameters ``certificates.*``)."""

    city_name: str
    mayor_title: str
    wording: str
    fee: int
    verify_url: str = ""
    form: str = "renki"
    images: CityImages = field(default_factory=CityImages)

    @classmethod
    def current(cls, tenant: TenantRef, kind: Kind, on: dt.date, verify_url: str = "") -> Layout:
        from tenant_core.params import services as params
        from tenant_core.params.declare import image_bytes

        return cls(
            city_name=tenant.name,
            mayor_title=params.param("certificates.mayor_title", on=on),
            wording=params.param(WORDING_KEYS[kind], on=on),
            fee=int(params.param(f"certificates.fee.{kind.value}", on=on)),
            verify_url=verify_url or verify_address(tenant),
            form=params.param("certificates.juminhyo_form", on=on),
            images=CityImages(
                seal=image_bytes(params.param("certificates.seal_image", on=on)),
                background=image_bytes(params.param("certificates.background", on=on)),
            ),
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
    cancelled: bool = False  # 交付取消: the certificate was issued but is no longer valid
    cancelled_on: dt.date | None = None


def verify(session: Session, number: str | None, code: str | None) -> Verification:
    """Whether a 交付番号 and 照合番号 belong together in this city."""
    clean = codes.clean_number(number)
    given = codes.clean_code(code)
    row = get_issuance(session, clean) if clean else None
    # Compare even when there is no row, so the answer takes the same time either way.
    stored = row.verification_code if row else "0" * codes.CODE_LENGTH
    if row is None or not codes.same_code(stored, given):
        return Verification(False)
    return _verification(row)


def _verification(row: Issuance) -> Verification:
    cancelled_on = (
        row.cancelled_at.replace(tzinfo=dt.UTC).astimezone(JST).date() if row.cancelled_at else None
    )
    return Verification(True, row.kind_label, row.issued_on, row.cancelled_at is not None, cancelled_on)


MAX_UPLOAD = 5 * 1024 * 1024


@dataclass(frozen=True)
class PdfVerification:
    """The answer of the upload check: readable, signed, intact, by whom and when, cancelled."""

    readable: bool
    signed: bool = False
    intact: bool = False  # the signature is valid and covers the whole file
    ours: bool = False  # signed with this city's certificate and found in its register
    same_as_issued: bool = False  # byte for byte the PDF the register holds
    signer: str = ""
    signed_at: dt.datetime | None = None
    record: Verification | None = None


def verify_pdf(session: Session, tenant: TenantRef, data: bytes) -> PdfVerification:
    """Check an uploaded certificate PDF: its signature against the city's certificate, and the register."""
    from modules.certificates import signing
    from tenant_core.extensions import get_settings

    if not data.startswith(b"%PDF-") or len(data) > MAX_UPLOAD:
        return PdfVerification(False)
    try:
        check = signing.check_signature(data, signing.city_certificate(get_settings(), tenant.slug))
    except Exception:  # a damaged or hostile file: pyHanko raises many kinds; the answer is "unreadable"
        return PdfVerification(False)
    if not check.signed:
        return PdfVerification(True)
    number = codes.clean_number(check.number)
    row = get_issuance(session, number) if number else None
    same = row is not None and hashlib.sha256(data).hexdigest() == row.pdf_sha256
    return PdfVerification(
        True,
        signed=True,
        intact=check.intact,
        ours=check.trusted and row is not None,
        same_as_issued=same,
        signer=check.signer,
        signed_at=check.signed_at,
        record=_verification(row) if row is not None and check.trusted else None,
    )


# --- issuing -------------------------------------------------------------------------------


def _reserve(session: Session, name: str) -> int:
    """The next serial of a fiscal year's 交付番号 (its counter row made on first use)."""
    return sequences.reserve(session, CertificateCounter, name)


def _person(session: Session, atena_no: int | None, *, removed: bool | None = False) -> Person:
    """The person asked for; a resident, or (``removed``) a 除票 (moved out or died); either (None)."""
    try:
        person = residents.require_person(session, atena_no)
    except residents.PersonNotFound:
        raise CertificateError(
            _("指定された宛名番号の方は、この市の住民記録にありません。"), "atena_no", not_found=True
        ) from None
    if removed is None:
        return person
    if removed:
        if residents.is_resident(person):
            raise CertificateError(
                _("この方は住民です（除票ではありません）。住民票の写しを交付してください。"), "atena_no"
            )
        return person
    if not residents.is_resident(person):
        raise CertificateError(
            _("この方は住民ではありません（転出・死亡による除票）。「除票の写し」を選んでください。"),
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


def _same_name(a: str, b: str) -> bool:
    def fold(text: str) -> str:
        return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))

    return fold(a) == fold(b)


def _check_requester(
    errors: dict[str, str], requester: Requester, purpose_required: bool, person: Person | None = None
) -> None:
    if not (1 <= len(requester.name.strip()) <= 100):
        errors["requester_name"] = _("請求者の氏名を100文字以内で入力してください。")
    if requester.relation not in RELATIONS:
        errors["requester_relation"] = _("請求者と対象者の関係を選択してください。")
    elif (
        requester.relation == "代理人"
        and person is not None
        and _same_name(requester.name, f"{person.family_name}{person.given_name}")
    ):
        # A 代理人 acts for someone else: the person asking for their own certificate is 本人, and a
        # 委任状 naming oneself proves nothing.
        errors["requester_relation"] = _(
            "請求者が対象者本人です。代理人としての請求はできません（関係を「本人」としてください）。"
        )
    purpose = requester.purpose.strip()
    if purpose_required and not purpose:
        errors["purpose"] = _("請求事由を入力してください（住民基本台帳法第12条）。")
    elif len(purpose) > 300:
        errors["purpose"] = _("請求事由は300文字以内で入力してください。")


ADDRESS_EVENTS = ("move_in", "birth", "relocation")


def _standing(events: list[Any]) -> list[Any]:
    """The events that stand: neither cancelled (異動の取消し) nor a cancellation themselves."""
    return [
        e
        for e in events
        if getattr(e, "cancelled_by_id", None) is None and getattr(e, "cancels_id", None) is None
    ]


def _address_items(session: Session, person: Any, row: Person | None) -> dict[str, Any]:
    """住所を定めた年月日 (住基法7条7号), and the 届出の年月日 and 従前の住所 of a person who came into the
    city (7条8号), as the register keeps them.

    For a record made before the register kept them, the 住所を定めた年月日 and 届出日 are taken from
    the event that set the present address (its effective date, and the day it was recorded).
    """
    items: dict[str, Any] = {}
    since = getattr(person, "address_since", None)
    notified = getattr(person, "notified_on", None)
    if since is None and row is not None:
        events = [e for e in _standing(residents.events_of(session, row)) if e.kind in ADDRESS_EVENTS]
        if events:
            since = events[-1].effective_on
            notified = notified or events[-1].recorded_at.replace(tzinfo=dt.UTC).astimezone(JST).date()
    if since is not None:
        items["address_set_on"] = since.isoformat()
    if notified is not None:
        items["notified_on"] = notified.isoformat()
    previous = getattr(person, "previous_address", None)
    if previous:
        items["previous_address"] = previous
    return items


def _person_entry(
    session: Session, person: Any, options: JuminhyoOptions, row: Person | None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "atena_no": person.atena_no,
        "family_name": person.family_name,
        "given_name": person.given_name,
        "family_kana": person.family_kana,
        "given_kana": person.given_kana,
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "resident_since": person.resident_since.isoformat(),
    }
    entry |= _address_items(session, person, row)
    if options.relationship:
        entry["relationship"] = person.relationship
    foreign = residents.foreign_items_of(person)
    if foreign is not None:
        # 住基法30条の45: a 外国人住民's items are part of every copy; the 通称 when one is recorded.
        entry["foreign"] = {
            k: (v.isoformat() if isinstance(v, dt.date) else v)
            for k, v in foreign.items()
            if v and k not in ("tsusho", "tsusho_kana")
        }
        if foreign.get("foreign_category"):
            # The label as the certificate prints it: Japanese, whatever the clerk reads.
            with force_locale("ja"):
                label = residents.HELPERS["category_label"](foreign["foreign_category"])
            entry["foreign"]["foreign_category"] = str(label)
        if foreign.get("tsusho"):
            entry["tsusho"] = foreign["tsusho"]
            entry["tsusho_kana"] = foreign.get("tsusho_kana") or ""
    if options.kyuuji:
        kyuuji = residents.kyuuji_of(person)
        if kyuuji:
            entry["kyuuji"], entry["kyuuji_kana"] = kyuuji
    if options.juminhyo_code:
        entry["juminhyo_code"] = residents.juminhyo_code_of(person) or ""
    if options.honseki and foreign is None:
        # As the register has them on the issue day; "" when it has none.
        entry["honseki"] = person.honseki or ""
        entry["hitto_sha"] = person.hitto_sha or ""
    if options.mynumber:
        entry["mynumber_token"] = (row.mynumber_token if row else None) or ""  # encrypted, as in the register
    return entry


def _layout_dict(layout: Layout, form: str = "") -> dict[str, Any]:
    printed = {
        "city_name": layout.city_name,
        "mayor_title": layout.mayor_title,
        "wording": layout.wording,
        "fee": layout.fee,
        "verify_url": layout.verify_url,
        "form": form or layout.form,
        "seal_sha256": hashlib.sha256(layout.images.seal).hexdigest() if layout.images.seal else "",
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
        issued_at=utcnow(),
    )


def _finish(
    session: Session,
    tenant: TenantRef,
    issuance: Issuance,
    vault: Vault | None,
    render: bool,
    images: CityImages,
) -> Issuance:
    """Draw the certificate, sign it with the city's key and keep the signed bytes and their hash."""
    from modules.certificates import signing
    from tenant_core.extensions import get_settings

    if not render:  # the benchmark's register-only figure
        issuance.pdf_sha256 = hashlib.sha256(b"").hexdigest()
        session.add(issuance)
        session.flush()
        return issuance
    pdf = render_pdf(issuance, vault, images)
    try:
        signed, signer = signing.sign_pdf(
            pdf,
            get_settings(),
            tenant.slug,
            tenant.name,
            reason=f"{title_of(issuance)} 交付番号 {issuance.number}",
            location=tenant.name,
        )
    except signing.SigningKeyMissing:
        raise CertificateError(
            _(
                "この市の署名鍵がありません。運用担当者に「kyodo certificates make-signing-key %(slug)s」"
                "の実行を依頼してください。",
                slug=tenant.slug,
            ),
            "atena_no",
        ) from None
    issuance.pdf_sha256 = hashlib.sha256(signed).hexdigest()
    issuance.signer = signer[:300]
    if issuance.items.get("mynumber"):
        # A PDF showing a 個人番号 is kept as the number is: encrypted with the city's key.
        assert vault is not None
        issuance.pdf = vault.encrypt(base64.b64encode(signed).decode("ascii")).encode("ascii")
        issuance.pdf_encrypted = True
    else:
        issuance.pdf = signed
    session.add(issuance)
    session.flush()
    return issuance


def issued_pdf(issuance: Issuance, tenant: TenantRef, vault: Vault | None = None) -> bytes:
    """The certificate as issued (signed); one issued before signatures existed is drawn again."""
    if issuance.pdf is None:
        from tenant_core.params import services as params
        from tenant_core.params.declare import image_bytes

        images = CityImages(
            seal=image_bytes(params.param("certificates.seal_image", on=issuance.issued_on)),
            background=image_bytes(params.param("certificates.background", on=issuance.issued_on)),
        )
        return render_pdf(issuance, vault, images)
    if issuance.pdf_encrypted:
        if vault is None:
            raise RuntimeError("the city's vault is needed to open a PDF showing the 個人番号")
        text = vault.decrypt(issuance.pdf.decode("ascii"))
        if text is None:
            raise RuntimeError("the stored PDF cannot be opened with this city's key")
        return base64.b64decode(text)
    return issuance.pdf


def _check_mynumber(
    errors: dict[str, str],
    options: JuminhyoOptions,
    requester: Requester,
    user: CurrentUser,
    vault: Vault | None,
) -> str:
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
    return condition


def _check_code(errors: dict[str, str], options: JuminhyoOptions, requester: Requester) -> None:
    # 住民基本台帳法第12条第5項: the 住民票コード, like the 個人番号, only on a request by the person or
    # a member of the household.
    if options.juminhyo_code and requester.relation not in MYNUMBER_RELATIONS:
        errors["juminhyo_code"] = _(
            "住民票コードを記載できるのは、本人または同一世帯の方からの請求に限られます"
            "（住民基本台帳法第12条第5項）。"
        )


def _items(options: JuminhyoOptions) -> dict[str, Any]:
    return {
        "relationship": options.relationship,
        "honseki": options.honseki,
        "mynumber": options.mynumber,
        "juminhyo_code": options.juminhyo_code,
        "kyuuji": options.kyuuji,
    }


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
    if options.form and options.form not in FORM_LABELS:
        errors["form"] = _("様式（個人票または世帯連記式）を選択してください。")
    _check_requester(errors, requester, purpose_required=True, person=person)
    _check_code(errors, options, requester)
    condition = _check_mynumber(errors, options, requester, user, vault)
    if errors:
        raise CertificateError(errors)

    on = on or japan_today()
    layout = layout or Layout.current(tenant, Kind.juminhyo, on)
    if options.scope == "household":
        members = residents.household_members(session, person.household_id)
    else:
        members = [residents.PersonState.of(person)]
    rows = residents.get_persons(session, [m.atena_no for m in members])
    head = next((m for m in members if m.is_head), None)
    if head is None and options.relationship:
        head = residents.household_head(session, person.household_id)
    head_name = head.full_name if head else ""

    issuance = _new_issuance(session, Kind.juminhyo, on, user, requester, layout)
    issuance.atena_no = person.atena_no
    issuance.scope = options.scope
    issuance.items = _items(options)
    issuance.persons = [m.atena_no for m in members]
    issuance.mynumber_condition = condition if options.mynumber else None
    issuance.content = {
        "layout": _layout_dict(layout, options.form),
        "address": f"{tenant.name}{person.town}{person.banchi}",
        "katagaki": person.katagaki,
        "head_name": head_name if options.relationship else "",
        # 本籍・筆頭者 travel with each person (a household may hold several 戸籍).
        "persons": [_person_entry(session, m, options, rows.get(m.atena_no)) for m in members],
    }
    return _finish(session, tenant, issuance, vault, render, layout.images)


LEFT_LABELS = {"move_out": "転出の年月日", "death": "死亡の年月日"}


def _leaving_event(session: Session, person: Person) -> Any:
    """The event that removed the person (their last 転出 or 死亡), or None."""
    events = [e for e in _standing(residents.events_of(session, person)) if e.kind in LEFT_LABELS]
    return events[-1] if events else None


def issue_joshu(
    session: Session,
    tenant: TenantRef,
    atena_no: int | None,
    options: JuminhyoOptions,
    requester: Requester,
    user: CurrentUser,
    *,
    layout: Layout | None = None,
    on: dt.date | None = None,
) -> Issuance:
    """除票の写し (住基法15条の4) of a person removed by 転出 or 死亡: one person, the 消除 date printed.

    The 個人番号 is never printed on it (住基法15条の4第3項 lists what a 除票の写し may omit; the
    system leaves the number out, as the standard's form does by default).
    """
    person = _person(session, atena_no, removed=True)
    _check_protection(session, person, requester)
    errors: dict[str, str] = {}
    if options.form and options.form not in FORM_LABELS:
        errors["form"] = _("様式（個人票または世帯連記式）を選択してください。")
    if options.mynumber:
        errors["mynumber"] = _("除票の写しには個人番号を記載できません。")
    _check_requester(errors, requester, purpose_required=True, person=person)
    _check_code(errors, options, requester)
    if errors:
        raise CertificateError(errors)
    on = on or japan_today()
    layout = layout or Layout.current(tenant, Kind.joshu, on)
    options = JuminhyoOptions(
        scope="person",
        relationship=options.relationship,
        honseki=options.honseki,
        juminhyo_code=options.juminhyo_code,
        kyuuji=options.kyuuji,
        form=options.form,
    )
    entry = _person_entry(session, person, options, person)
    left = _leaving_event(session, person)
    entry["left_on"] = (person.left_on or (left.effective_on if left else on)).isoformat()
    entry["left_label"] = LEFT_LABELS.get(left.kind if left else "", "消除の年月日")
    issuance = _new_issuance(session, Kind.joshu, on, user, requester, layout)
    issuance.atena_no = person.atena_no
    issuance.scope = "person"
    issuance.items = _items(options)
    issuance.persons = [person.atena_no]
    issuance.mynumber_condition = None
    issuance.content = {
        "layout": _layout_dict(layout, options.form),
        "address": f"{tenant.name}{person.town}{person.banchi}",
        "katagaki": person.katagaki,
        "head_name": "",
        "persons": [entry],
    }
    return _finish(session, tenant, issuance, None, True, layout.images)


def issue_tenshutsu(
    session: Session,
    tenant: TenantRef,
    atena_no: int | None,
    requester: Requester,
    user: CurrentUser,
    *,
    layout: Layout | None = None,
    on: dt.date | None = None,
) -> Issuance:
    """転出証明書 (住基法24条, 施行令23条・24条): the persons moving, the 転出先 and the 転出(予定)の年月日,
    the 住民票コード (the next city needs it).

    Issued at the visit of the 転出届 (法24条: the notice is made in advance): a resident with a
    pending 転出届 gets one printing the 転出予定年月日; a person whose 転出 is recorded gets one
    printing the 転出の年月日. A 特例転出 gets none (see ``_pending_movers``).
    """
    person = _person(session, atena_no, removed=None)
    _check_protection(session, person, requester)
    errors: dict[str, str] = {}
    if residents.is_resident(person):
        return _tenshutsu_pending(session, tenant, person, requester, user, layout=layout, on=on)
    left = _leaving_event(session, person)
    if left is None or left.kind != "move_out":
        errors["atena_no"] = _("この方の転出は記録されていません（転出証明書は転出した方に交付します）。")
    _check_requester(errors, requester, purpose_required=False, person=person)
    if errors or left is None:
        raise CertificateError(errors)
    on = on or japan_today()
    layout = layout or Layout.current(tenant, Kind.tenshutsu, on)
    options = JuminhyoOptions(relationship=True, juminhyo_code=True)
    # The household members who left on the same day, as one 転出届 moves them together: the
    # household as it was the day before, those of them removed on that day.
    before = residents.household_members(
        session, person.household_id, on=left.effective_on - dt.timedelta(days=1)
    )
    companions = [
        p
        for p in residents.get_persons(session, [m.atena_no for m in before]).values()
        if not residents.is_resident(p) and p.left_on == left.effective_on
    ]
    movers = sorted({p.atena_no: p for p in [person, *companions]}.values(), key=lambda p: p.atena_no)
    destination = left.note.split(":", 1)[1].strip() if left.note.startswith("転出先:") else ""
    recorded = left.recorded_at.replace(tzinfo=dt.UTC).astimezone(JST).date()
    issuance = _new_issuance(session, Kind.tenshutsu, on, user, requester, layout)
    issuance.atena_no = person.atena_no
    issuance.scope = "household" if len(movers) > 1 else "person"
    issuance.items = _items(options)
    issuance.persons = [p.atena_no for p in movers]
    issuance.mynumber_condition = None
    issuance.content = {
        "layout": _layout_dict(layout),
        "address": f"{tenant.name}{person.town}{person.banchi}",
        "katagaki": person.katagaki,
        "head_name": "",
        "destination": destination,
        "moved_on": left.effective_on.isoformat(),
        "notified_on": recorded.isoformat(),
        "persons": [_person_entry(session, p, options, p) for p in movers],
    }
    return _finish(session, tenant, issuance, None, True, layout.images)


def _tenshutsu_pending(
    session: Session,
    tenant: TenantRef,
    person: Person,
    requester: Requester,
    user: CurrentUser,
    *,
    layout: Layout | None,
    on: dt.date | None,
) -> Issuance:
    """転出証明書 from a pending 転出届: the person is still a resident until the 転出予定日."""
    # The person's row is locked as a seal registration does: a clerk confirming or cancelling the
    # notice at the same moment goes first or after, never half-way (the notice is read again).
    residents.lock_person(session, person)
    notice = residents.pending_move_out(session, person)
    errors: dict[str, str] = {}
    if notice is None:
        errors["atena_no"] = _(
            "この方には受け付けた転出届（転出予定）がありません。転出証明書は転出届を受け付けてから交付します。"
        )
    elif notice.special:
        # 住基法第24条の2: a 特例転出 (マイナンバーカードによる転出) sends what the 転出証明書 would
        # carry to the new city through the network; no paper certificate is issued.
        errors["atena_no"] = _(
            "この方の転出届は特例転出（マイナンバーカードによる転出）です。転出証明書は交付しません"
            "（転出の情報は住基ネットで転入先の市区町村へ通知されます。住民基本台帳法第24条の2）。"
        )
    _check_requester(errors, requester, purpose_required=False, person=person)
    if errors or notice is None:
        raise CertificateError(errors)
    on = on or japan_today()
    layout = layout or Layout.current(tenant, Kind.tenshutsu, on)
    options = JuminhyoOptions(relationship=True, juminhyo_code=True)
    # Everyone of the same 届出 who is still a resident (one household's notice moves them together).
    found = residents.get_persons(session, [*notice.atena_nos, person.atena_no])
    movers = sorted((p for p in found.values() if residents.is_resident(p)), key=lambda p: p.atena_no)
    issuance = _new_issuance(session, Kind.tenshutsu, on, user, requester, layout)
    issuance.atena_no = person.atena_no
    issuance.scope = "household" if len(movers) > 1 else "person"
    # The register keeps which 転出届 the certificate came from: a notice cancelled later shows on the
    # issuance's page, and the certificate is then cancelled there (交付取消).
    issuance.items = {**_items(options), "move_out_notice": notice.notice_id}
    issuance.persons = [p.atena_no for p in movers]
    issuance.mynumber_condition = None
    issuance.content = {
        "layout": _layout_dict(layout),
        "address": f"{tenant.name}{person.town}{person.banchi}",
        "katagaki": person.katagaki,
        "head_name": "",
        "destination": notice.destination_text,
        "moved_label": "転出予定年月日",  # 施行令第23条: 転出の予定年月日
        "moved_on": notice.planned_on.isoformat(),
        "notified_on": notice.notified_on.isoformat(),
        "persons": [_person_entry(session, p, options, p) for p in movers],
    }
    return _finish(session, tenant, issuance, None, True, layout.images)


def _clean_card(text: str | None) -> str:
    return re.sub(r"[\s\-ー－]", "", unicodedata.normalize("NFKC", text or "")).upper()


def issue_inkan(
    session: Session,
    tenant: TenantRef,
    atena_no: int | None,
    requester: Requester,
    user: CurrentUser,
    *,
    card_no: str | None = None,
    layout: Layout | None = None,
    on: dt.date | None = None,
    render: bool = True,
) -> Issuance:
    """印鑑登録証明書 of a resident's registered seal, recorded in the register with its fee.

    The 印鑑登録証 must be presented (印鑑条例: the certificate is issued on presenting the card,
    not on a name): its number is asked for and must be the registration's. ``card_no=None`` is a
    call from code that has checked the card itself (the benchmark).
    """
    from modules.seals import public as seals  # the seal module is required by this one's manifest

    person = _person(session, atena_no)
    _check_protection(session, person, requester)
    errors: dict[str, str] = {}
    _check_requester(errors, requester, purpose_required=False, person=person)
    registration = seals.active_registration(session, person.atena_no, lock=True)
    if registration is None:
        errors["atena_no"] = _(
            "この方には登録されている印鑑がありません（印鑑登録の画面で確認してください）。"
        )
    elif card_no is not None:
        given = _clean_card(card_no)
        if not given:
            errors["card_no"] = _("提示された印鑑登録証の番号を入力してください。")
        elif given != _clean_card(registration.card_no):
            errors["card_no"] = _(
                "印鑑登録証の番号が登録と一致しません。提示された印鑑登録証を確かめてください"
                "（亡失・廃止された登録証では交付できません）。"
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
    entry = _person_entry(session, person, JuminhyoOptions(relationship=False), None)
    for key in ("address_set_on", "notified_on", "previous_address"):
        entry.pop(key, None)
    issuance.content = {
        "layout": _layout_dict(layout),
        "address": f"{tenant.name}{person.town}{person.banchi}",
        "katagaki": person.katagaki,
        "registration_no": registration.registration_no,
        "registered_on": registration.registered_on.isoformat(),
        "persons": [entry],
    }
    return _finish(session, tenant, issuance, None, render, layout.images)


# --- 交付取消 and 再交付 -----------------------------------------------------------------------


def _lock_issuance(session: Session, number: str, version: int | None) -> Issuance:
    row = get_issuance(session, number)
    if row is None:
        raise CertificateError(_("この交付番号の証明書はありません。"), "number", not_found=True)
    row = lock_rows(session, Issuance, [row.id])[0]
    check_version(row, version, required=False)
    return row


def cancel(
    session: Session, number: str, reason: str, user: CurrentUser, *, version: int | None = None
) -> Issuance:
    """交付取消: a certificate issued in error is recorded as cancelled, with the reason.

    The row stays in the register (the 交付簿 keeps every number); the verification then answers
    that the certificate was cancelled.
    """
    row = _lock_issuance(session, number, version)
    reason = reason.strip()
    if row.cancelled_at is not None:
        raise CertificateError(_("この証明書は既に交付取消されています。"), "reason")
    if not reason:
        raise CertificateError(_("取消の理由を入力してください。"), "reason")
    if len(reason) > 300:
        raise CertificateError(_("取消の理由は300文字以内で入力してください。"), "reason")
    row.cancelled_at = utcnow()
    row.cancelled_by = user.operator_id
    row.cancel_reason = reason
    session.flush()
    return row


def reissue(
    session: Session,
    tenant: TenantRef,
    number: str,
    user: CurrentUser,
    *,
    vault: Vault | None = None,
    version: int | None = None,
) -> Issuance:
    """再交付: a new certificate (number, code, date, signature) with the content of a cancelled one.

    The original must be cancelled first (交付取消, with its reason): two valid certificates of one
    request never exist at once. The content is what was certified then; no fee is collected again.
    """
    original = _lock_issuance(session, number, version)
    if original.cancelled_at is None:
        raise CertificateError(
            _("再交付するには、先に元の証明書を交付取消してください（取消の理由を記録します）。"), "number"
        )
    if original.items.get("mynumber") and not user.can(MYNUMBER_PERMISSION):
        raise CertificateError(
            _("個人番号を記載する権限がありません（個人番号の閲覧権限が必要です）。"), "number"
        )
    on = japan_today()
    layout = Layout.current(tenant, Kind(original.kind), on)
    requester = Requester(original.requester_name, original.requester_relation, original.purpose)
    issuance = _new_issuance(session, Kind(original.kind), on, user, requester, layout)
    issuance.fee = 0
    issuance.atena_no = original.atena_no
    issuance.scope = original.scope
    issuance.items = dict(original.items)
    issuance.persons = list(original.persons)
    issuance.mynumber_condition = original.mynumber_condition
    issuance.seal_image = original.seal_image
    issuance.seal_image_mime = original.seal_image_mime
    content = dict(original.content)
    content["layout"] = {**_layout_dict(layout, original.content["layout"].get("form", "")), "fee": 0}
    issuance.content = content
    issuance.reissue_of = original.number
    return _finish(session, tenant, issuance, vault, True, layout.images)


def param_honseki_default() -> bool:
    """Whether the form ticks 本籍 by default (parameter ``certificates.honseki_default``)."""
    from tenant_core.params import services as params

    return params.param("certificates.honseki_default") == "print"


def param_form_default() -> str:
    """The 住民票の写し form the request form offers first (parameter ``certificates.juminhyo_form``)."""
    from tenant_core.params import services as params

    return str(params.param("certificates.juminhyo_form"))
