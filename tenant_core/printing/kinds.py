"""Kinds of document a module prints in bulk, declared in its manifest (``ModuleInfo.document_kinds``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tenant_core.modules import import_part, iter_modules


@dataclass(frozen=True)
class DocumentKind:
    """One printed document: its 帳票ID, whose it is, and how its body is drawn.

    ``draw_body`` is ``"package.module:function"`` called as ``f(canvas, payload, top)`` for each
    document, with the reportlab canvas of the box file, the subject's payload (what the module put
    in the run) and the height in points below which the body may draw: the platform has drawn the
    frame (帳票ID, 通番, 箱番号, the address block) above it. It must draw one sheet and not call
    ``showPage``.
    """

    code: str  # 帳票ID printed on every sheet, e.g. KEI-001
    module: str  # the module whose permissions guard the run's pages
    label_ja: str
    label_en: str
    draw_body: str
    # "postcode": 郵便番号, then address, then key (the default, what the post office wants);
    # "key": as the module's keys sort.
    sort: str = "postcode"

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_ja

    def drawer(self) -> Callable[[Any, dict[str, Any], float], None]:
        return import_part(self.module, self.draw_body)


def all_kinds() -> dict[str, DocumentKind]:
    """The document kinds of every installed module, by 帳票ID."""
    found: dict[str, DocumentKind] = {}
    for info in iter_modules():
        for spec in info.document_kinds:
            kind = import_part(info, spec)
            if not isinstance(kind, DocumentKind):
                raise TypeError(f"module {info.name!r}: {spec} is not a DocumentKind")
            found[kind.code] = kind
    return found


def get_kind(code: str) -> DocumentKind | None:
    return all_kinds().get(code)
