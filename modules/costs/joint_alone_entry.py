"""The secretariat's entry of a joint-versus-alone scenario (the cloud era): the form's grid, read and checked.

The grid is sized by the years asked for (first fiscal year and how many) and the consortium's members: per
shared item (cloud fees, network lines, operations contracts, licences), the shared environment's cost per
year and its rule, and per member its cost per year if it ran alone; each member's population for a rule
that reads it. An item left wholly blank is not part of the scenario (not every consortium pays licences).
Every problem is collected and named with its item, member and year; nothing is stored unless all is well,
and the computation (joint_alone.py) checks the whole once more before it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from modules.costs.computing import PRESETS
from modules.costs.errors import CostError
from modules.costs.joint_alone import KIND_LABELS
from tenant_core.inputs import YEN_MAX, has_control_characters
from tenant_core.japanese import wareki_year

# The shared items the form offers (``other`` stays for scenarios stored by other means).
ENTRY_KINDS = ("fees", "network", "operations", "licences")
# The rules offered for a shared item: the presets that read nothing but the population.
RULE_CHOICES = ("equal", "population", "equal20_population80")
UNITS = ("円", "千円", "百万円")
MAX_YEARS = 15
_KEY = re.compile(r"^[a-z0-9_-]{1,40}$")
_LABEL_NAME = _l("シナリオ名")
_LABEL_KEY = _l("識別名")


class EntryError(CostError):
    """Every problem of one entry, each naming its item, member and year."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


@dataclass
class Entry:
    """What the form holds: its values as entered (text), to show again after a refusal."""

    first_year: int
    years: int
    values: dict[str, str] = field(default_factory=dict)

    @property
    def fiscal_years(self) -> list[int]:
        return list(range(self.first_year, self.first_year + self.years))


def kind_label(kind: str) -> str:
    return _(KIND_LABELS[kind])


def rule_label(key: str) -> str:
    return str(PRESETS[key][0])


def _amount(text: str) -> int | None:
    """1,234 / 1，234 / 1,234円 as a whole number of the scenario's unit; None if it is no such number."""
    cleaned = re.sub(r"[,，\s]", "", text).removesuffix("円")
    if not re.fullmatch(r"\d{1,18}", cleaned):
        return None
    return int(cleaned)


def read_entry(
    form: Mapping[str, str], members: list[tuple[str, str]], first_year: int, years: int
) -> dict[str, Any]:
    """The scenario to store from the posted grid: ``{"key", "name", "unit", "periods", "members", "items"}``.

    ``members`` are (code, name) of the consortium's members. EntryError lists every problem.
    """
    problems: list[str] = []
    fiscal_years = list(range(first_year, first_year + years))
    name = (form.get("name") or "").strip()
    if not name:
        problems.append(_("「%(label)s」: 入力してください。", label=_LABEL_NAME))
    elif len(name) > 200 or has_control_characters(name):
        problems.append(_("「%(label)s」: 200文字以内の文字で入力してください。", label=_LABEL_NAME))
    key = (form.get("key") or "").strip()
    if not _KEY.match(key):
        problems.append(
            _("「%(label)s」: 英小文字・数字・_・- の40文字以内で入力してください。", label=_LABEL_KEY)
        )
    unit = form.get("unit") or ""
    if unit not in UNITS:
        problems.append(_("「%(label)s」: 一覧から選んでください。", label=_("単位")))

    populations: dict[str, int | None] = {}
    for code, member_name in members:
        text = (form.get(f"pop-{code}") or "").strip()
        value = _amount(text) if text else None
        if text and (value is None or value == 0):
            problems.append(
                _("%(member)s の人口: 1以上の整数で入力してください。", member=member_name or code)
            )
        populations[code] = value

    def cell(field_name: str, where: str, year: int) -> int:
        text = (form.get(field_name) or "").strip()
        value = _amount(text) if text else None
        if not text:
            problems.append(
                _(
                    "%(where)s（%(year)s）: 入力してください（なければ0）。",
                    where=where,
                    year=wareki_year(year),
                )
            )
        elif value is None or value > YEN_MAX:
            problems.append(
                _(
                    "%(where)s（%(year)s）: 0以上の整数で入力してください（「%(text)s」）。",
                    where=where,
                    year=wareki_year(year),
                    text=text[:20],
                )
            )
        return value or 0

    items: list[dict[str, Any]] = []
    for kind in ENTRY_KINDS:
        label = kind_label(kind)
        cells = [form.get(f"joint-{kind}-{y}", "") for y in fiscal_years] + [
            form.get(f"alone-{kind}-{code}-{y}", "") for code, _n in members for y in fiscal_years
        ]
        if not any(c.strip() for c in cells):
            continue  # an item left blank is not part of the scenario
        rule_key = form.get(f"rule-{kind}") or ""
        if rule_key not in RULE_CHOICES:
            problems.append(_("%(item)s の按分ルール: 一覧から選んでください。", item=label))
        elif rule_key != "equal":
            for code, member_name in members:
                if populations.get(code) is None:
                    problems.append(
                        _(
                            "%(item)s は人口で按分します: %(member)s の人口を入力してください。",
                            item=label,
                            member=member_name or code,
                        )
                    )

        joint = [
            cell(f"joint-{kind}-{y}", _("%(item)s の共同利用の費用", item=label), y) for y in fiscal_years
        ]
        alone = {
            code: [
                cell(
                    f"alone-{kind}-{code}-{y}",
                    _("%(item)s の %(member)s の単独費用", item=label, member=member_name or code),
                    y,
                )
                for y in fiscal_years
            ]
            for code, member_name in members
        }
        spec = PRESETS[rule_key][1] if rule_key in RULE_CHOICES else {"method": "equal"}
        items.append(
            {"name": label, "kind": kind, "alone": alone, "joint": joint, "rule": spec, "preset": rule_key}
        )
    if not items and not problems:
        problems.append(
            _("共有する費目（利用料、回線費、運用保守委託、ライセンス）を1つ以上入力してください。")
        )
    if not members:
        problems.append(_("構成団体が登録されていません。"))
    if problems:
        raise EntryError(problems)
    return {
        "key": key,
        "name": name,
        "unit": unit,
        "periods": [wareki_year(y) for y in fiscal_years],
        "fiscal_years": fiscal_years,
        "members": {
            code: {
                "name": member_name,
                "bases": {"population": str(populations[code])} if populations[code] else {},
            }
            for code, member_name in members
        },
        "items": items,
    }


def entry_values(definition: dict[str, Any]) -> tuple[int, int, dict[str, str]] | None:
    """A stored scenario entered by this form, as the form's values (to edit it); None otherwise."""
    fiscal_years = definition.get("fiscal_years")
    if not fiscal_years:
        return None
    values: dict[str, str] = {}
    for code, member in definition["members"].items():
        population = (member.get("bases") or {}).get("population")
        if population:
            values[f"pop-{code}"] = str(int(Decimal(population)))
    for item in definition["items"]:
        kind = item["kind"]
        if kind not in ENTRY_KINDS:
            return None
        values[f"rule-{kind}"] = item.get("preset", "")
        for y, v in zip(fiscal_years, item["joint"], strict=True):
            values[f"joint-{kind}-{y}"] = str(v)
        for code, costs in item["alone"].items():
            for y, v in zip(fiscal_years, costs, strict=True):
                values[f"alone-{kind}-{code}-{y}"] = str(v)
    return fiscal_years[0], len(fiscal_years), values
