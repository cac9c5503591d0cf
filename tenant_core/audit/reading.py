"""The access log as staff read it: Japanese words for what the log stores as codes.

The log keeps codes (``view``, ``222101:clerk``, ``atena:12``, the shape of a search) so that it stays
comparable and tamper-evident; the viewer and its CSV say them in words: 照会, the operator's name, the
person's name where the reader may see that person (never a person under 支援措置 to a reader without
the permission: the module that keeps persons leaves them out), and the search as a sentence.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from tenant_core.audit.models import AccessLog

FUNCTION_LABELS: Mapping[str, Any] = {
    "login": _l("ログイン"),
    "logout": _l("ログアウト"),
    "access": _l("アクセス拒否"),
    "view": _l("照会"),
    "search": _l("検索"),
    "change": _l("更新"),
    "print": _l("印刷"),
    "export": _l("出力"),
    "setting": _l("設定変更"),
}
OUTCOME_LABELS: Mapping[str, Any] = {"ok": _l("正常"), "refused": _l("拒否"), "failed": _l("失敗")}

# The fields of the searches and filters that are logged by shape (names only, never the values).
SEARCH_FIELD_LABELS: Mapping[str, Any] = {
    "kana": _l("カナ氏名"),
    "name": _l("漢字氏名"),
    "birth_date": _l("生年月日"),
    "address": _l("住所"),
    "tsusho": _l("通称"),
    "alpha": _l("アルファベット氏名"),
    "include_removed": _l("除票を含める"),
    "atena_no": _l("宛名番号"),
    "registration_no": _l("登録番号"),
    "target": _l("対象"),
    "operator": _l("操作者"),
    "function": _l("操作"),
    "from": _l("期間（から）"),
    "to": _l("期間（まで）"),
    "date_from": _l("期間（から）"),
    "date_to": _l("期間（まで）"),
    "kind": _l("種類"),
    "module": _l("業務"),
    "page": _l("ページ"),
    "scope": _l("範囲"),
}
# Fixed details the application writes, in words.
DETAIL_LABELS: Mapping[str, Any] = {
    "signed in": _l("ログインしました"),
    "signed out": _l("ログアウトしました"),
    "wrong one-time password": _l("確認コードの誤り"),
    "too many attempts from this address": _l("この端末からの試行回数の超過"),
    "password changed": _l("パスワード変更"),
    "password reset by administrator": _l("管理者によるパスワード再設定"),
    "not found": _l("該当なし"),
    "not in this city": _l("この団体の記録ではありません"),
    "invalid input": _l("入力誤り"),
    "other city or unknown 宛名番号": _l("他団体または存在しない宛名番号"),
    "visit closed": _l("窓口対応の終了"),
    "enabled": _l("アカウント有効化"),
    "disabled": _l("アカウント無効化"),
    "conflict: changed by another staff member": _l("他の職員による更新と競合"),
    "request body larger than the limit": _l("送信データが上限を超過"),
}
_ROLE_DETAIL = re.compile(r"^(roles set to|account created with roles) (\[.*\])$")
_ATENA = re.compile(r"atena:(\d+)")


@dataclass(frozen=True)
class ReadEntry:
    """One entry in words, beside the entry itself (``entry``) for the columns kept as they are."""

    entry: AccessLog
    function: str
    operator: str
    target: str
    screen: str
    search: str
    outcome: str
    detail: str


def function_label(code: str) -> str:
    label = FUNCTION_LABELS.get(code)
    return str(label) if label is not None else code


def search_sentence(shape: Mapping[str, Any] | None) -> str:
    """'カナ氏名（4文字）・生年月日（10文字）で検索し、3件が該当しました。' — the fields and lengths, never
    what was typed (the log keeps only that)."""
    if not shape:
        return ""
    parts = []
    for key, value in shape.items():
        if key == "results":
            continue
        label = SEARCH_FIELD_LABELS.get(key, key)
        length = str(value).rpartition(":")[2]
        parts.append(_("%(field)s（%(n)s文字）", field=label, n=length) if length.isdigit() else str(label))
    fields = "・".join(parts)
    results = shape.get("results")
    if fields and results is not None:
        return _("%(fields)sで検索し、%(n)s件が該当しました。", fields=fields, n=results)
    if fields:
        return _("%(fields)sで検索しました。", fields=fields)
    if results is not None:
        return _("条件なしで%(n)s件が該当しました。", n=results)
    return ""


def _role_names(codes: Iterable[str]) -> str:
    from tenant_core.auth.roles import city_roles
    from tenant_core.i18n import request_lang

    labels = {r.name: r.label(request_lang()) for r in city_roles()}
    return "、".join(labels.get(c, c) for c in codes) or _("なし")


def detail_text(detail: str) -> str:
    if not detail:
        return ""
    fixed = DETAIL_LABELS.get(detail)
    if fixed is not None:
        return str(fixed)
    roles = _ROLE_DETAIL.match(detail)
    if roles:
        try:
            codes = [str(c) for c in ast.literal_eval(roles.group(2))]
        except (ValueError, SyntaxError):
            return detail
        label = _("役割の変更") if roles.group(1) == "roles set to" else _("アカウント作成")
        return _("%(what)s: %(roles)s", what=label, roles=_role_names(codes))
    return detail


def screen_text(screen: str) -> str:
    """The business (module) a screen belongs to, in words, with the screen's code."""
    from tenant_core.modules import get_module

    module = get_module(screen.partition(".")[0]) if screen else None
    return f"{module.label_ja}（{screen}）" if module is not None else screen


class Reader:
    """Puts one page (or one export) of entries into words, looking names up once for all of them."""

    def __init__(self, session: Session, tenant: Any, entries: list[AccessLog]) -> None:
        from tenant_core import visits

        self.tenant = tenant
        self.operators = self._operator_names(session, entries)
        numbers = {int(m.group(1)) for e in entries if e.target for m in [_ATENA.fullmatch(e.target)] if m}
        self.persons = visits.persons(numbers) if numbers else {}

    def _operator_names(self, session: Session, entries: list[AccessLog]) -> dict[str, str]:
        from tenant_core.auth.models import User

        prefix = f"{self.tenant.code}:" if self.tenant is not None else None
        logins = {e.operator[len(prefix) :] for e in entries if prefix and e.operator.startswith(prefix)}
        if not logins:
            return {}
        rows = session.execute(
            sa.select(User.login, User.display_name).where(
                User.tenant_id == self.tenant.id, User.login.in_(sorted(logins))
            )
        )
        return {f"{prefix}{login}": name for login, name in rows}

    def operator(self, code: str) -> str:
        name = self.operators.get(code)
        if name:
            return name
        if code.startswith("platform:"):
            return _("運用事業者（%(login)s）", login=code.partition(":")[2])
        if code == "-":
            return _("（ログイン前）")
        return code

    def target(self, code: str | None) -> str:
        if not code:
            return ""
        m = _ATENA.fullmatch(code)
        if m:
            number = int(m.group(1))
            person = self.persons.get(number)
            if person is not None:
                return _("%(name)s（宛名番号 %(no)s）", name=person.name, no=f"{number:010d}")
            return _("宛名番号 %(no)s", no=f"{number:010d}")
        kind, _sep, rest = code.partition(":")
        words = {
            "seal": _("印鑑登録 登録番号"),
            "certificate": _("証明書 交付番号"),
            "user": _("職員アカウント"),
        }
        return f"{words[kind]} {rest}" if kind in words and rest else code

    def read(self, entry: AccessLog) -> ReadEntry:
        return ReadEntry(
            entry=entry,
            function=function_label(entry.function),
            operator=self.operator(entry.operator),
            target=self.target(entry.target),
            screen=screen_text(entry.screen),
            search=search_sentence(entry.search_shape),
            outcome=str(OUTCOME_LABELS.get(entry.outcome, entry.outcome)),
            detail=detail_text(entry.detail),
        )


def read_entries(session: Session, tenant: Any, entries: list[AccessLog]) -> list[ReadEntry]:
    reader = Reader(session, tenant, entries)
    return [reader.read(e) for e in entries]
