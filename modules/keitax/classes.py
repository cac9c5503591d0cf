"""車種区分: the classes of 軽自動車等 as 地方税法第463条の15 lists them, and what each may be taxed by.

The item numbers were checked against the article's text (第1項第1号イ-ニ 原動機付自転車, 第2号イ-ハ
軽自動車, 第3号 二輪の小型自動車). 小型特殊自動車 are not given a standard rate there: the city sets their
rate by 条例 under 同条第3項 (the 区分 that 第1項 does not fit)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString


@dataclass(frozen=True)
class VehicleClass:
    code: str
    label: LazyString
    article: str  # where the class comes from
    # 軽三輪・軽四輪: 旧税率 (初度検査 before 2015-04), 重課 (13 years) and 軽課 (グリーン化特例) apply.
    inspected: bool = False


CLASSES: tuple[VehicleClass, ...] = (
    VehicleClass("moped_50", _l("原動機付自転車（50cc以下）"), "463条の15第1項第1号イ"),
    VehicleClass("moped_90", _l("原動機付自転車（二輪 90cc以下）"), "463条の15第1項第1号ロ"),
    VehicleClass("moped_125", _l("原動機付自転車（二輪 125cc以下）"), "463条の15第1項第1号ハ"),
    VehicleClass("minicar", _l("ミニカー"), "463条の15第1項第1号ニ"),
    VehicleClass("light_2", _l("軽二輪（125cc超 250cc以下）"), "463条の15第1項第2号イ"),
    VehicleClass("small_2", _l("二輪の小型自動車（250cc超）"), "463条の15第1項第3号"),
    VehicleClass("light_3", _l("軽三輪"), "463条の15第1項第2号ロ", inspected=True),
    VehicleClass(
        "light_4_pass_private", _l("軽四輪 乗用 自家用"), "463条の15第1項第2号ハ(1)(ii)", inspected=True
    ),
    VehicleClass(
        "light_4_pass_business", _l("軽四輪 乗用 営業用"), "463条の15第1項第2号ハ(1)(i)", inspected=True
    ),
    VehicleClass(
        "light_4_cargo_private", _l("軽四輪 貨物 自家用"), "463条の15第1項第2号ハ(2)(ii)", inspected=True
    ),
    VehicleClass(
        "light_4_cargo_business", _l("軽四輪 貨物 営業用"), "463条の15第1項第2号ハ(2)(i)", inspected=True
    ),
    VehicleClass("special_farm", _l("小型特殊自動車（農耕作業用）"), "463条の15第3項"),
    VehicleClass("special_other", _l("小型特殊自動車（その他）"), "463条の15第3項"),
)
BY_CODE = {c.code: c for c in CLASSES}
CODES = tuple(BY_CODE)


def class_label(code: str) -> str:
    found = BY_CODE.get(code)
    return str(found.label) if found else code
