"""How the seal register's values read on screen."""

from __future__ import annotations

from modules.residents.display import HELPERS as RESIDENT_HELPERS
from modules.seals.models import SealEventKind, SealStatus

STATUS_LABELS = {SealStatus.registered: "登録中", SealStatus.lost: "亡失", SealStatus.abolished: "廃止"}
EVENT_LABELS = {
    SealEventKind.registered: "登録",
    SealEventKind.lost: "亡失届",
    SealEventKind.abolished: "廃止届",
}

HELPERS = {
    **RESIDENT_HELPERS,
    "seal_status": lambda s: STATUS_LABELS.get(s, s),
    "seal_event": lambda k: EVENT_LABELS.get(k, k),
}
