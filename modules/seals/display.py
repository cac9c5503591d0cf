"""How the seal register's values read on screen: its states and events, in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l

from modules.residents.public import HELPERS as RESIDENT_HELPERS
from modules.seals.models import SealEventKind, SealStatus


def _until_in_catalog(label: LazyString, msgid: str, english: str) -> LazyString:
    """``label`` as the catalog translates it; ``english`` on an English page while the catalog
    does not carry the msgid yet (a new label is extracted and translated with the next catalog)."""

    def text() -> str:
        shown = str(label)
        locale = get_locale()
        return english if shown == msgid and locale is not None and locale.language == "en" else shown

    return LazyString(text)


ERASED = _until_in_catalog(_l("職権抹消"), "職権抹消", "Erased by the city")

# Keyed by the stored code: the enum members are equal to and hash as their str values.
STATUS_LABELS: dict[str, LazyString] = {
    SealStatus.registered: _l("登録中"),
    SealStatus.lost: _l("亡失"),
    SealStatus.abolished: _l("廃止"),
    SealStatus.erased: ERASED,
}
EVENT_LABELS: dict[str, LazyString] = {
    SealEventKind.registered: _l("登録"),
    SealEventKind.lost: _l("亡失届"),
    SealEventKind.abolished: _l("廃止届"),
    SealEventKind.erased: ERASED,
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
