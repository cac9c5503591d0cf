"""Tables of the resident records (住民記録) and the common addressee number (共通宛名), per city.

The person row holds the current state, for fast search; every change is also a dated event
whose ``after`` values, replayed in order, give the state on any date (see history.py).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from tenant_core.db import TenantBase
from tenant_core.models import utcnow


class Status(enum.StrEnum):
    resident = "resident"  # 住民
    moved_out = "moved_out"  # 転出（除票）
    deceased = "deceased"  # 死亡（除票）


class EventKind(enum.StrEnum):
    move_in = "move_in"  # 転入
    birth = "birth"  # 出生
    move_out = "move_out"  # 転出
    relocation = "relocation"  # 転居（市内）
    death = "death"  # 死亡
    household_change = "household_change"  # 世帯変更
    correction = "correction"  # 記載事項修正
    code_change = "code_change"  # 住民票コードの変更（住基法30条の4）
    tsusho = "tsusho"  # 通称の記載・削除（住基法施行令30条の26）
    residence = "residence"  # 在留資格・在留期間等の変更（住基法30条の45の記載事項）
    kyuuji = "kyuuji"  # 旧氏の記載・削除（住基法施行令30条の13以下）
    cancellation = "cancellation"  # 異動の取消し（誤って記録した異動を元に戻す: cancellation.py）


class Citizenship(enum.StrEnum):
    """日本人住民 or 外国人住民 (住基法30条の45): a 外国人住民 has no 本籍・筆頭者 but the 在留 items."""

    japanese = "japanese"
    foreign = "foreign"


HEAD = "世帯主"

# Prefix searches (LIKE 'key%') need a pattern index on PostgreSQL when the database collation
# is not C; SQLite searches the same columns by range, which its plain index serves.
_PATTERN = "varchar_pattern_ops"


class Household(TenantBase):
    """A 世帯; its head is the member whose 続柄 is 世帯主 (kept here for quick reading)."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_no: Mapped[int] = mapped_column(unique=True)
    head_person_id: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Optimistic concurrency: every UPDATE checks and advances it (tenant_core/concurrency.py).
    version: Mapped[int] = mapped_column(nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)


class NameAndAddress:
    """How a person's name, カナ and address are written, for the stored row and for a state in its history."""

    if TYPE_CHECKING:  # declared by the classes that take these properties (a mapped column, a field)
        family_name: str
        given_name: str
        family_kana: str
        given_kana: str
        town: str
        banchi: str

    @property
    def full_name(self) -> str:
        return f"{self.family_name}\u3000{self.given_name}"

    @property
    def full_kana(self) -> str:
        return f"{self.family_kana}\u3000{self.given_kana}"

    @property
    def address(self) -> str:
        return self.town + self.banchi


class Person(NameAndAddress, TenantBase):
    """A person of the city's register (current state), named elsewhere by the 宛名番号."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    atena_no: Mapped[int] = mapped_column(unique=True)  # 宛名番号: what other modules refer to
    household_id: Mapped[int] = mapped_column(sa.ForeignKey("households.id"))
    family_name: Mapped[str] = mapped_column(sa.String(100))
    given_name: Mapped[str] = mapped_column(sa.String(100))
    family_kana: Mapped[str] = mapped_column(sa.String(100))
    given_kana: Mapped[str] = mapped_column(sa.String(100))
    birth_date: Mapped[dt.date]
    sex: Mapped[str] = mapped_column(sa.String(6))  # male, female
    relationship: Mapped[str] = mapped_column(sa.String(20))  # 続柄
    town: Mapped[str] = mapped_column(sa.String(100))  # 町名
    banchi: Mapped[str] = mapped_column(sa.String(100))  # 番地
    katagaki: Mapped[str] = mapped_column(sa.String(200), default="")  # 方書
    resident_since: Mapped[dt.date]  # 住民となった日
    status: Mapped[str] = mapped_column(sa.String(12), default=Status.resident)
    left_on: Mapped[dt.date | None]  # 転出・死亡の日
    # 住所を定めた年月日 (住基法7条7号: set by 転入・出生, a 転居 and a 世帯変更 that moves the address),
    # and for a person who came into the city, the 届出の年月日 and the 従前の住所 (7条8号: set at 転入
    # and kept through later moves within the city); printed by the certificates.
    address_since: Mapped[dt.date | None]
    notified_on: Mapped[dt.date | None]
    previous_address: Mapped[str | None] = mapped_column(sa.String(300))
    # 本籍 and 筆頭者の氏名, kept exactly as entered; None for a 外国人住民 (or when not recorded).
    honseki: Mapped[str | None] = mapped_column(sa.String(200))
    hitto_sha: Mapped[str | None] = mapped_column(sa.String(100))
    # 住民票コード (住基法7条13号): 11 digits, the last a check digit (juminhyo_code.py); never reused.
    juminhyo_code: Mapped[str | None] = mapped_column(sa.String(11))
    # 日本人 or 外国人 (Citizenship); the 外国人住民's items of 住基法30条の45 follow (None for a 日本人).
    citizenship: Mapped[str] = mapped_column(
        sa.String(10), default=Citizenship.japanese, server_default=Citizenship.japanese.value
    )
    nationality: Mapped[str | None] = mapped_column(sa.String(60))  # 国籍・地域
    foreign_category: Mapped[str | None] = mapped_column(sa.String(30))  # 30条45規定区分 (foreign.py)
    residence_status: Mapped[str | None] = mapped_column(sa.String(60))  # 在留資格
    residence_period: Mapped[str | None] = mapped_column(sa.String(30))  # 在留期間 (「3年」など)
    residence_from: Mapped[dt.date | None]  # 在留期間の始期（許可の日）
    residence_until: Mapped[dt.date | None]  # 在留期間の満了の日
    card_number: Mapped[str | None] = mapped_column(sa.String(12))  # 在留カード等の番号
    alpha_name: Mapped[str | None] = mapped_column(sa.String(200))  # アルファベット氏名
    tsusho: Mapped[str | None] = mapped_column(sa.String(100))  # 通称
    tsusho_kana: Mapped[str | None] = mapped_column(sa.String(100))  # 通称のフリガナ
    kyuuji: Mapped[str | None] = mapped_column(sa.String(100))  # 旧氏 (日本人住民)
    kyuuji_kana: Mapped[str | None] = mapped_column(sa.String(100))  # 旧氏のフリガナ
    mynumber_token: Mapped[str | None] = mapped_column(sa.Text)  # Fernet, key of this city
    mynumber_digest: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Search keys, derived from the fields above (kana.py): never shown.
    kana_key: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200))
    address_key: Mapped[str] = mapped_column(sa.String(300))
    alpha_key: Mapped[str | None] = mapped_column(sa.String(200))  # アルファベット氏名, folded
    tsusho_key: Mapped[str | None] = mapped_column(sa.String(200))  # 通称, folded like name_key
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # Optimistic concurrency: every UPDATE checks and advances it (tenant_core/concurrency.py).
    version: Mapped[int] = mapped_column(nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)

    __table_args__ = (
        sa.Index("ix_persons_kana_key", "kana_key", postgresql_ops={"kana_key": _PATTERN}),
        sa.Index("ix_persons_name_key", "name_key", postgresql_ops={"name_key": _PATTERN}),
        sa.Index("ix_persons_address_key", "address_key", postgresql_ops={"address_key": _PATTERN}),
        sa.Index("ix_persons_birth_date", "birth_date"),
        sa.Index("ix_persons_household_id", "household_id"),
        sa.Index("ix_persons_alpha_key", "alpha_key", postgresql_ops={"alpha_key": _PATTERN}),
        sa.Index("ix_persons_tsusho_key", "tsusho_key", postgresql_ops={"tsusho_key": _PATTERN}),
        sa.Index("ix_persons_residence_until", "residence_until"),
        sa.Index("ux_persons_juminhyo_code", "juminhyo_code", unique=True),
        # The API's changes feed reads in (updated_at, 宛名番号) order from a moment.
        sa.Index("ix_persons_updated_at_atena_no", "updated_at", "atena_no"),
    )


class ResidentEvent(TenantBase):
    """One dated change (異動) of a person: what was before, what is after."""

    __tablename__ = "resident_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("persons.id"))
    household_id: Mapped[int | None]  # the household the person belongs to after this event
    kind: Mapped[str] = mapped_column(sa.String(20))
    effective_on: Mapped[dt.date]  # 異動日
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)  # 処理日時
    recorded_by: Mapped[str] = mapped_column(sa.String(120))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    notified_on: Mapped[dt.date | None]  # 届出日 (None: recorded before the register kept it, or 職権)
    # 異動の取消し: the cancelling event names the event it cancels, which names it back.
    cancels_id: Mapped[int | None]
    cancelled_by_id: Mapped[int | None]
    # The first event of those one operation recorded together (a household's 転居): cancelled together.
    batch_id: Mapped[int | None]

    __table_args__ = (
        sa.Index("ix_resident_events_person_id_effective_on", "person_id", "effective_on"),
        sa.Index("ix_resident_events_household_id", "household_id"),
        sa.Index("ix_resident_events_batch_id", "batch_id"),
    )


class ResidentCounter(TenantBase):
    """Per-city number sequences (宛名番号, 世帯番号), advanced atomically."""

    __tablename__ = "resident_counters"

    name: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger)


# --- 支援措置 (DV等支援措置) and 抑止: see protection.py ------------------------------------------


class MeasureKind(enum.StrEnum):
    support = "support"  # 支援措置（DV・ストーカー行為等・児童虐待等の被害者）
    hold = "hold"  # 抑止（一件の記録の交付・閲覧を止める）


class SupportMeasure(TenantBase):
    """A 支援措置 or an 抑止 of one person of this city (and, for a 支援措置, the companions in
    ``SupportMeasureTarget``). Active from ``start_on`` to ``end_on`` unless ``ended_on`` is set."""

    __tablename__ = "support_measures"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    atena_no: Mapped[int]  # 申出者 (支援措置) or the record held (抑止), of this city
    requested_on: Mapped[dt.date]  # 申出日
    start_on: Mapped[dt.date]  # 支援措置の開始日
    end_on: Mapped[dt.date | None]  # 終了予定日 (after 延長, the new one); None: an 抑止 until released
    reason: Mapped[str] = mapped_column(sa.String(500), default="")  # 抑止の理由 / 申出の区分
    # 加害者: as the 申出書 names them; the 宛名番号 of any city (団体コード + number), when known.
    offender_name: Mapped[str] = mapped_column(sa.String(200), default="")
    offender_kana: Mapped[str] = mapped_column(sa.String(200), default="")
    offender_city_code: Mapped[str | None] = mapped_column(sa.String(6))
    offender_atena_no: Mapped[int | None] = mapped_column(sa.BigInteger)
    ended_on: Mapped[dt.date | None]  # 終了日 (or 抑止の解除日)
    end_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by: Mapped[str] = mapped_column(sa.String(120))
    ended_by: Mapped[str] = mapped_column(sa.String(120), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 (read once, by the mapper)

    __table_args__ = (
        sa.Index("ix_support_measures_atena_no", "atena_no"),
        sa.Index("ix_support_measures_end_on", "end_on"),
    )


class SupportMeasureTarget(TenantBase):
    """A person a measure covers: the 申出者 and each 併せて支援を求める者 (same household)."""

    __tablename__ = "support_measure_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("support_measures.id"))
    atena_no: Mapped[int]
    companion: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        sa.UniqueConstraint("measure_id", "atena_no", name="uq_support_measure_targets"),
        sa.Index("ix_support_measure_targets_atena_no", "atena_no"),
    )


class SupportMeasureChange(TenantBase):
    """The history of a measure: registered, extended (延長, with the old and new end), ended."""

    __tablename__ = "support_measure_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(sa.ForeignKey("support_measures.id"))
    action: Mapped[str] = mapped_column(sa.String(20))  # registered, extended, ended, released
    on: Mapped[dt.date]
    old_end_on: Mapped[dt.date | None]
    new_end_on: Mapped[dt.date | None]
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    by: Mapped[str] = mapped_column(sa.String(120))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.Index("ix_support_measure_changes_measure_id", "measure_id"),)
