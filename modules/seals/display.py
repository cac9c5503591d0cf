"""How the seal register's values read on screen: its states and events, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from modules.residents.public import HELPERS as RESIDENT_HELPERS
from modules.seals.models import SealEventKind, SealStatus

# Keyed by the stored code: the enum members are equal to and hash as their str values.
STATUS_LABELS: dict[str, LazyString] = {
    SealStatus.registered: _l("登録中"),
    SealStatus.lost: _l("亡失"),
    SealStatus.abolished: _l("廃止"),
    SealStatus.erased: _l("職権抹消"),
}
EVENT_LABELS: dict[str, LazyString] = {
    SealEventKind.registered: _l("登録"),
    SealEventKind.lost: _l("亡失届"),
    SealEventKind.abolished: _l("廃止届"),
    SealEventKind.erased: _l("職権抹消"),
}


def status_label(code: str) -> str:
    """登録中/亡失/廃止 for a registration's stored state (the code itself if unknown)."""
    return str(STATUS_LABELS.get(code, code))


def event_label(code: str) -> str:
    return str(EVENT_LABELS.get(code, code))


HELPERS: dict[str, Callable[..., Any]] = {
    **RESIDENT_HELPERS,
    "seal_status": status_label,
    "seal_event": event_label,
}
