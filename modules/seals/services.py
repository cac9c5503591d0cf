"""Business operations of the seal register; services flush only, the request boundary commits.

Other modules read through ``active_registration`` (the 印鑑登録証明書 of the certificate module)
and ``registrations_of``. Every operation checks all of its input before it changes anything and
raises SealError (messages by field) when something is wrong: nothing is then changed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from modules.residents import public as residents
from modules.seals.display import STATUS_LABELS
from modules.seals.errors import SealError
from modules.seals.images import check_image
from modules.seals.models import SealCounter, SealEvent, SealEventKind, SealRegistration, SealStatus
from tenant_core import sequences
from tenant_core.concurrency import check_version, lock_rows
from tenant_core.japanese import japan_today
from tenant_core.models import utcnow

REGISTRATION = "registration"
CARD = "card"
REASON_MAX = 300


@dataclass(frozen=True)
class SealRules:
    """The city's rules (parameters ``seals.*``), read once per operation."""

    image_max_kb: int = 512
    min_age: int = 15
    allow_reregistration_after_lost: bool = False
    number_prefix: str = ""

    @classmethod
    def current(cls) -> SealRules:
        """The rules of the current city today (in a request or a job bound to a city)."""
        from tenant_core.params.services import param

        return cls(
            image_max_kb=param("seals.image_max_kb"),
            min_age=param("seals.min_age"),
            allow_reregistration_after_lost=param("seals.allow_reregistration_after_lost"),
            number_prefix=param("seals.number_prefix"),
        )


@dataclass
class RegistrationPage:
    rows: list[SealRegistration]
    total: int
    page: int
    per_page: int


# --- reading -------------------------------------------------------------------------------


def active_registration(session: Session, atena_no: int, *, lock: bool = False) -> SealRegistration | None:
    """The registered (not lost, not abolished) seal of this person in the session's city.

    ``lock=True`` (a certificate about to show it) holds a shared lock on the row until the transaction
    ends: a 亡失届 or 廃止届 at the same moment waits for it, or, if first, makes this find nothing.
    """
    query = sa.select(SealRegistration).where(
        SealRegistration.atena_no == atena_no, SealRegistration.status == SealStatus.registered
    )
    if lock:
        query = query.with_for_update(read=True).execution_options(populate_existing=True)
    return session.scalar(query)


def registrations_of(session: Session, atena_no: int) -> list[SealRegistration]:
    """Every registration of this person, newest first."""
    return list(
        session.scalars(
            sa.select(SealRegistration)
            .where(SealRegistration.atena_no == atena_no)
            .order_by(SealRegistration.registered_on.desc(), SealRegistration.id.desc())
        )
    )


def get_registration(session: Session, registration_no: str) -> SealRegistration | None:
    return session.scalar(
        sa.select(SealRegistration).where(SealRegistration.registration_no == registration_no)
    )


def events_of(session: Session, registration: SealRegistration) -> list[SealEvent]:
    return list(
        session.scalars(
            sa.select(SealEvent)
            .where(SealEvent.registration_id == registration.id)
            .order_by(SealEvent.effective_on, SealEvent.id)
        )
    )


def register_list(
    session: Session, page: int = 1, per_page: int = 20, status: str | None = None
) -> RegistrationPage:
    """The register (原票) newest first, one page at a time; ``status`` filters. The registrations of
    persons under 支援措置 or 抑止 are left out for staff who may not see them (no trace, no count)."""
    where = [SealRegistration.status == status] if status else []
    where.append(residents.visible_clause(SealRegistration.atena_no))
    total = session.scalar(sa.select(sa.func.count()).select_from(SealRegistration).where(*where)) or 0
    rows = session.scalars(
        sa.select(SealRegistration)
        .where(*where)
        .order_by(SealRegistration.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return RegistrationPage(list(rows), total, page, per_page)


# --- writing -------------------------------------------------------------------------------


def _reserve(session: Session, name: str) -> int:
    """The next 登録番号 or 印鑑登録証番号 of the city (its counter row made on first use)."""
    return sequences.reserve(session, SealCounter, name)


def _event(
    session: Session, reg: SealRegistration, kind: SealEventKind, on: dt.date, by: str, reason: str
) -> None:
    session.add(SealEvent(registration_id=reg.id, kind=kind, effective_on=on, reason=reason, recorded_by=by))


def _resident(session: Session, atena_no: int | None) -> residents.Person:
    if not atena_no:
        raise SealError(_("宛名番号を入力してください。"), "atena_no")
    try:
        return residents.require_person(session, atena_no)
    except residents.PersonNotFound:
        # Not in this city's register: perhaps another city's number. Say nothing about it.
        raise SealError(
            _("宛名番号 %(atena)s の方はこの団体の住民記録にいません。", atena=atena_no),
            "atena_no",
            refused=True,
        ) from None


def register(
    session: Session,
    atena_no: int | None,
    image: bytes | None,
    *,
    by: str,
    rules: SealRules | None = None,
    registered_on: dt.date | None = None,
) -> SealRegistration:
    """登録: a seal for a current resident of at least the minimum age, with no registered seal."""
    rules = rules or SealRules.current()
    on = registered_on or japan_today()
    # Two registrations of one person at once take turns on the person's row: the second sees the first.
    person = residents.lock_person(session, _resident(session, atena_no))
    errors: dict[str, str] = {}
    if not residents.is_resident(person):
        errors["atena_no"] = _("住民でない方（転出・死亡）の印鑑は登録できません。")
    elif residents.age_on(person.birth_date, on) < rules.min_age:
        errors["atena_no"] = _("%(age)s歳未満の方は印鑑を登録できません。", age=rules.min_age)
    else:
        existing = registrations_of(session, person.atena_no)
        if any(r.status == SealStatus.registered for r in existing):
            errors["atena_no"] = _("この方はすでに印鑑を登録しています（登録できる印鑑は1人1個です）。")
        elif not rules.allow_reregistration_after_lost and any(r.status == SealStatus.lost for r in existing):
            errors["atena_no"] = _(
                "印鑑登録証の亡失届が出ている登録があります。先にその登録を廃止してください。"
            )
    try:
        checked = check_image(image, rules.image_max_kb)
    except SealError as exc:
        errors.update({k: v for k, v in exc.errors.items() if k not in errors})
    if errors:
        raise SealError(errors)
    prefix = rules.number_prefix
    reg = SealRegistration(
        registration_no=f"{prefix}{_reserve(session, REGISTRATION):07d}",
        card_no=f"{prefix}C{_reserve(session, CARD):07d}",
        atena_no=person.atena_no,
        registered_on=on,
        status=SealStatus.registered,
        image=checked.data,
        image_mime=checked.mime,
        image_sha256=checked.sha256,
        image_width=checked.width,
        image_height=checked.height,
        registered_by=by,
        lost_reason="",
        abolished_reason="",
    )
    session.add(reg)
    session.flush()
    _event(session, reg, SealEventKind.registered, on, by, "")
    session.flush()
    return reg


def _check_change(reason: str | None, confirmed: bool, on: dt.date | None, reg: SealRegistration) -> str:
    errors: dict[str, str] = {}
    text = (reason or "").strip()
    if not text:
        errors["reason"] = _("理由を入力してください。")
    elif len(text) > REASON_MAX:
        errors["reason"] = _("理由は%(max)s文字以内で入力してください。", max=REASON_MAX)
    if not confirmed:
        errors["confirm"] = _("内容を確認のうえ、確認欄にチェックを入れてください。")
    if on is not None and on < reg.registered_on:
        errors["effective_on"] = _("登録日より前の日付は指定できません。")
    if on is not None and on > japan_today():
        errors["effective_on"] = _("未来の日付は指定できません。")
    if errors:
        raise SealError(errors)
    return text


def _lock(session: Session, reg: SealRegistration, version: int | None) -> None:
    """Lock the registration and reload it, then check that the clerk saw its current version
    (None, from a call without a form, checks nothing); the caller checks its status after this."""
    lock_rows(session, SealRegistration, [reg.id])
    check_version(
        reg,
        version,
        required=False,
        current=[
            (_("登録番号"), reg.registration_no),
            (_("状態"), str(STATUS_LABELS.get(reg.status, reg.status))),
        ],
        target=f"seal:{reg.registration_no}",
    )


def mark_lost(
    session: Session,
    reg: SealRegistration,
    *,
    reason: str | None,
    confirmed: bool,
    by: str,
    on: dt.date | None = None,
    version: int | None = None,
) -> SealRegistration:
    """亡失届: the card is lost; no certificate is issued on this registration from now on."""
    _lock(session, reg, version)
    if reg.status != SealStatus.registered:
        raise SealError(_("登録中の印鑑ではないため、亡失届は受け付けられません。"))
    text = _check_change(reason, confirmed, on, reg)
    day = on or japan_today()
    reg.status, reg.lost_on, reg.lost_reason, reg.updated_at = SealStatus.lost, day, text, utcnow()
    _event(session, reg, SealEventKind.lost, day, by, text)
    session.flush()
    return reg


def abolish(
    session: Session,
    reg: SealRegistration,
    *,
    reason: str | None,
    confirmed: bool,
    by: str,
    on: dt.date | None = None,
    version: int | None = None,
) -> SealRegistration:
    """廃止届: the registration ends (from registered or lost); it stays in the register."""
    _lock(session, reg, version)
    if reg.status == SealStatus.abolished:
        raise SealError(_("この登録はすでに廃止されています。"))
    if reg.status == SealStatus.erased:
        raise SealError(_("この登録は転出または死亡により職権で抹消されています。"))
    text = _check_change(reason, confirmed, on, reg)
    day = on or japan_today()
    reg.status, reg.abolished_on, reg.abolished_reason = SealStatus.abolished, day, text
    reg.updated_at = utcnow()
    _event(session, reg, SealEventKind.abolished, day, by, text)
    session.flush()
    return reg
