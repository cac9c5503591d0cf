"""Parameters of 軽自動車税（種別割）: the city's 税率 table, 納期限 and rounding.

The 税率 are the city's 条例 rates: the 標準税率 of 地方税法第463条の15第1項 unless the city's ordinance
says otherwise (up to 1.5 times the standard, 同条第2項; both checked against the article's text).
小型特殊自動車 have no standard rate in the law (同条第3項: the city's 条例 sets it); the default is the
amount most cities' ordinances use. The table is effective-dated: the 賦課 of a fiscal year reads the
version in force on its 賦課期日 (4月1日).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from modules.keitax.classes import CODES
from tenant_core.params.declare import Choice, Column, Integer, Param, Table, ValueProblem, options


class RateRow(Schema):
    vehicle_class = fields.String(required=True, validate=validate.OneOf(CODES))
    standard = fields.Integer(required=True, validate=validate.Range(min=0, max=100_000))
    old = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000))
    heavy = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000))
    green = fields.Integer(load_default=0, validate=validate.Range(min=0, max=100_000))


class RateTable(Table):
    """A rate table must name every 車種区分 exactly once: a missing class would leave vehicles untaxed."""

    def parse(self, raw: Any) -> list[dict[str, Any]]:
        rows = super().parse(_blank_to_none(raw))
        seen = [r["vehicle_class"] for r in rows]
        problems = [
            _("車種区分「%(code)s」が2行あります。", code=c)
            for c in sorted({c for c in seen if seen.count(c) > 1})
        ]
        problems += [_("車種区分「%(code)s」の税率がありません。", code=c) for c in CODES if c not in seen]
        if problems:
            raise ValueProblem(*problems)
        return rows


def _blank_to_none(raw: Any) -> Any:
    # The edit grid sends "" for an empty cell: 0, no 旧税率, 重課 or 軽課 for that class.
    if not isinstance(raw, list | tuple):
        return raw
    return [
        {k: (0 if v in ("", None) and k in ("old", "heavy", "green") else v) for k, v in row.items()}
        if isinstance(row, dict)
        else row
        for row in raw
    ]


def _row(code: str, standard: int, old: int = 0, heavy: int = 0, green: int = 0) -> dict[str, Any]:
    return {"vehicle_class": code, "standard": standard, "old": old, "heavy": heavy, "green": green}


# 地方税法第463条の15第1項 (標準税率; checked against the article's text and the cities' tables);
# 小型特殊 (special_*): 同条第3項, the usual 条例 amounts. 旧税率: 平成27年3月31日以前に最初の新規検査を受けた
# 軽三輪・軽四輪 (平成26年度改正法の附則: article not verified; amounts checked against the cities' tables).
# 重課: 13年を経過した年度の翌年度から (amounts checked; 地方税法附則第30条第1項: not verified).
# 軽課 (グリーン化特例): 電気軽自動車等を取得した年度の翌年度分, 75%軽減 (三輪 1,000円 and 営業用乗用
# 1,800円 checked against a city's table; 自家用乗用 2,700円 and 貨物 1,300円/1,000円: not verified;
# 附則第30条第2項以下: not verified). The special measure is time-limited (acquisitions up to 令和8年3月31日
# as the cities publish it): a city adds a version without 軽課 when it ends.
STANDARD_RATES = [
    _row("moped_50", 2000),
    _row("moped_90", 2000),
    _row("moped_125", 2400),
    _row("minicar", 3700),
    _row("light_2", 3600),
    _row("small_2", 6000),
    _row("light_3", 3900, old=3100, heavy=4600, green=1000),
    _row("light_4_pass_private", 10800, old=7200, heavy=12900, green=2700),
    _row("light_4_pass_business", 6900, old=5500, heavy=8200, green=1800),
    _row("light_4_cargo_private", 5000, old=4000, heavy=6000, green=1300),
    _row("light_4_cargo_business", 3800, old=3000, heavy=4500, green=1000),
    _row("special_farm", 2400),
    _row("special_other", 5900),
]

PARAMETERS = [
    Param(
        "keitax.rates",
        RateTable(
            schema=RateRow,
            columns=(
                Column("vehicle_class", "車種区分", "Vehicle class"),
                Column("standard", "税率（年額）", "Rate (a year)"),
                Column("old", "旧税率", "Old rate"),
                Column("heavy", "重課税率", "Heavier rate"),
                Column("green", "軽課税率", "Green rate"),
            ),
            min_rows=len(CODES),
            max_rows=len(CODES),
        ),
        STANDARD_RATES,
        "軽自動車税（種別割）の税率",
        "Light vehicle tax rates",
        help_ja="車種区分ごとの年額（円）。0 はその税率を適用しないことを表します。"
        "既定は地方税法第463条の15第1項の標準税率です（小型特殊自動車は同条第3項により条例で定める額）。"
        "旧税率は平成27年3月31日以前に最初の新規検査を受けた軽三輪・軽四輪、"
        "重課税率は最初の新規検査から13年を経過した年度の翌年度以後（地方税法附則第30条第1項）、"
        "軽課税率はグリーン化特例（同条第2項以下）で取得の翌年度分に適用します。"
        "条例で税率を定めた団体は、その施行日からの版を登録してください（標準税率の1.5倍まで、第463条の15第2項）。",
        help_en="Yen a year per vehicle class; the default is the standard rate of 地方税法 art. 463-15(1) "
        "(small special vehicles: the city's ordinance, art. 463-15(3)). "
        "Old rate: three- and four-wheelers first inspected before April 2015; heavier rate: from the year "
        "after the one in which 13 years from the first inspection are reached (附則 art. 30(1)); green rate: "
        "the year after acquiring an electric vehicle (附則 art. 30(2)-). A city with its own ordinance rate "
        "adds a version from its effective date.",
        unit=_l("円"),
    ),
    # The 種別割's 納期 article of 地方税法 (第463条の23 as usually cited) and 第20条の5第2項 (a deadline on
    # a holiday moves to the next day): not verified; the day itself is the city's ordinance's.
    Param(
        "keitax.due_month",
        Integer(min=4, max=12),
        5,
        "納期限（月）",
        "Due date (month)",
        help_ja="種別割の納期（条例で定める）。既定は5月です。"
        "納期限が土日祝日のときは翌営業日になります（地方税法第20条の5第2項）。",
        help_en="The month of the payment deadline set by the city's ordinance (default May).",
        unit=_l("月"),
    ),
    Param(
        "keitax.due_day",
        Integer(min=1, max=31),
        31,
        "納期限（日）",
        "Due date (day)",
        help_ja="納期限の日です（月末より大きい日は月末）。",
        help_en="The day of the deadline (a day past the month's end means its last day).",
        unit=_l("日"),
    ),
    # 地方税法第20条の4の2第3項 (確定金額の100円未満切捨て): checked against the article's text.
    Param(
        "keitax.rounding",
        Choice(
            options=options(
                ("100", "100円未満切捨て", "Down to 100 yen"), ("1", "1円未満切捨て", "Down to 1 yen")
            )
        ),
        "100",
        "減免後の端数処理",
        "Rounding after a reduction",
        help_ja="減免後の税額の端数処理です。確定金額の100円未満は切り捨てます（地方税法第20条の4の2第3項）。",
        help_en="How the tax after a reduction is rounded (地方税法 art. 20-4-2(3): amounts under 100 yen are cut).",
    ),
]
