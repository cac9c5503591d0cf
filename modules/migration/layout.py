"""The resident exchange layout, version 1 (docs/migration-layout.md): its columns and code values.

One row per person (current state, 除票 included) in the persons file, one row per registration in the
seals file. The columns named here are accepted exactly as named; the ones marked as the project's own
(在留期間, 在留期間の始期) are optional additions that keep a round trip of Kyodo's register whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from modules.residents.public import FOREIGN_CATEGORIES, STATUS_DECEASED, STATUS_MOVED_OUT, STATUS_RESIDENT
from modules.residents.public import RELATIONSHIPS as REGISTER_RELATIONSHIPS

VERSION = "residents-v1"


@dataclass(frozen=True)
class Column:
    name: str  # as the header names it
    item: str  # the register's item (or an ``extra.`` item kept beside it)
    required: bool = False  # required of every row; conditional requirements are checked by rule


PERSON_COLUMNS = (
    Column("宛名番号", "atena_no", True),
    Column("世帯番号", "household_no", True),
    Column("続柄", "relationship", True),
    Column("氏", "family_name", True),
    Column("名", "given_name"),
    Column("氏_フリガナ", "family_kana", True),
    Column("名_フリガナ", "given_kana"),
    Column("生年月日", "birth_date", True),
    Column("性別", "sex", True),
    Column("住民種別", "citizenship", True),
    Column("住民となった年月日", "resident_since", True),
    Column("住所を定めた年月日", "address_since"),
    Column("町字", "town", True),
    Column("番地", "banchi", True),
    Column("方書", "katagaki"),
    Column("郵便番号", "extra.postal_code"),
    Column("本籍", "honseki"),
    Column("筆頭者", "hitto_sha"),
    Column("住民票コード", "juminhyo_code"),
    Column("個人番号", "mynumber"),
    Column("旧氏", "kyuuji"),
    Column("旧氏_フリガナ", "kyuuji_kana"),
    Column("国籍・地域", "nationality"),
    Column("30条45規定区分", "foreign_category"),
    Column("在留資格", "residence_status"),
    Column("在留期間満了日", "residence_until"),
    Column("在留カード等番号", "card_number"),
    Column("アルファベット氏名", "alpha_name"),
    Column("通称", "tsusho"),
    Column("通称_フリガナ", "tsusho_kana"),
    Column("状態", "status", True),
    Column("消除年月日", "left_on"),
    Column("転出先住所", "extra.destination"),
    Column("前住所", "previous_address"),
    Column("届出年月日", "notified_on"),
    Column("最終異動事由", "extra.last_reason"),
    # The project's own optional columns (layout version 1 allows additions).
    Column("在留期間", "residence_period"),
    Column("在留期間の始期", "residence_from"),
)
PERSON_HEADER = tuple(c.name for c in PERSON_COLUMNS)
PERSON_REQUIRED = tuple(c.name for c in PERSON_COLUMNS if c.required)
# Columns of layout version 1 itself: a file without the project's additions is complete.
PERSON_OWN = ("在留期間", "在留期間の始期")

SEAL_COLUMNS = (
    Column("印鑑登録番号", "registration_no", True),
    Column("宛名番号", "atena_no", True),
    Column("登録年月日", "registered_on", True),
    Column("状態", "status", True),
    Column("廃止年月日", "ended_on"),
    Column("印影ファイル", "image"),
)
SEAL_HEADER = tuple(c.name for c in SEAL_COLUMNS)
SEAL_REQUIRED = tuple(c.name for c in SEAL_COLUMNS if c.required)

# 続柄: those the register takes, and the few more the layout lists (妻の子, 夫の子, その他), so that an
# export of any person is read back by the import.
RELATIONSHIPS = tuple(dict.fromkeys((*REGISTER_RELATIONSHIPS, "妻の子", "夫の子", "その他")))
SEX = {"1": "male", "2": "female"}
CITIZENSHIP = {"1": "japanese", "2": "foreign"}
FOREIGN_CATEGORY = {str(i): code for i, code in enumerate(FOREIGN_CATEGORIES, start=1)}
# 状態 4 (職権消除) has no state of its own in the register: it is a 除票 like a 転出, its event says
# 職権消除, and the code is kept beside the person so that an export gives it back.
STATUS = {"1": STATUS_RESIDENT, "2": STATUS_MOVED_OUT, "3": STATUS_DECEASED, "4": STATUS_MOVED_OUT}
STRUCK_OFF = "4"
SEAL_STATUS = {"1": "registered", "2": "abolished", "3": "lost", "4": "erased"}


def code_of(table: dict[str, str], value: str | None) -> str:
    """The file's code of a register value (the first code that maps to it)."""
    for code, v in table.items():
        if v == value:
            return code
    return ""
