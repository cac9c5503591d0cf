"""Emergency mode (緊急窓口): the application served from a city's snapshot when the data centre is gone.

A core setting that every module meets through the contract, never by name: every request that could
change something (any method but GET/HEAD/OPTIONS) is refused unless its endpoint is signing in or out,
or a module listed it in its manifest's ``emergency_posts`` (issuing a certificate, the 個人状況照会
whose reason travels in a POST body). Every page shows a
banner with the snapshot's date; certificates print it (``banner_text()``); numbers reserved in this
mode come from their own range (``tenant_core.sequences``), so that ``kyodo bcp merge`` can bring them
back beside the ones the main system issued meanwhile.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, has_app_context, render_template, request
from flask_babel import gettext as _

from tenant_core.japanese import japan_today, wareki_date

# Writes that stay open: signing in (it records the sign-in and its session) and out.
CORE_WRITES = frozenset(
    {
        "auth.login",
        "auth.login_totp",
        "auth.logout",
        "platform_auth.login",
        "platform_auth.login_totp",
        "platform_auth.logout",
    }
)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The first number of every sequence in emergency mode: the main system's numbers stay below it.
EMERGENCY_FIRST = 900_001


@dataclass(frozen=True)
class Emergency:
    as_of: dt.date
    max_age_days: int

    @property
    def stale(self) -> bool:
        return (japan_today() - self.as_of).days > self.max_age_days

    @property
    def banner(self) -> str:
        return _(
            "緊急窓口モード：%(date)s時点のデータで運用しています。照会と証明書の交付のみ可能です。",
            date=wareki_date(self.as_of),
        )


def current() -> Emergency | None:
    """The emergency state of the running app, or None in normal operation."""
    if not has_app_context():
        return None
    return current_app.extensions.get("kyodo.emergency")


def banner_text() -> str | None:
    """What a printed document carries in emergency mode (None otherwise)."""
    state = current()
    return state.banner if state else None


def sequence_name(name: str) -> tuple[str, int | None]:
    """The counter a sequence uses now: its own one, or in emergency mode a separate one at 900001."""
    if current() is None:
        return name, None
    return f"{name}:emergency", EMERGENCY_FIRST


def allowed_writes(app: Flask) -> frozenset[str]:
    from tenant_core.modules import iter_modules

    found = set(CORE_WRITES)
    for info in iter_modules():
        found.update(info.emergency_posts)
    return frozenset(found)


def _refuse_writes() -> Any:
    if request.method in SAFE_METHODS:
        return None
    if request.endpoint in current_app.extensions["kyodo.emergency_posts"]:
        return None
    message = _("緊急窓口モードでは、照会と証明書の交付のほかは操作できません。")
    return render_template("core/error.html", code=403, message=message), 403


def _context() -> dict[str, Any]:
    state = current()
    if state is None:
        return {}
    banners = [state.banner]
    if state.stale:
        banners.append(
            _(
                "このデータは%(days)s日以上前のものです。最新の状況と異なる場合があります。",
                days=state.max_age_days,
            )
        )
    return {"emergency_banners": banners}


def init_app(app: Flask) -> None:
    settings = app.extensions["kyodo.settings"]
    if not settings.emergency:
        return
    if settings.emergency_as_of is None:
        raise RuntimeError("emergency mode needs the snapshot's date (KYODO_EMERGENCY_AS_OF)")
    app.extensions["kyodo.emergency"] = Emergency(settings.emergency_as_of, settings.emergency_max_age_days)
    app.extensions["kyodo.emergency_posts"] = allowed_writes(app)
    # First of all the request hooks: a write is refused before anything else looks at it.
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_writes)
    app.context_processor(_context)


def printed_banner() -> str | None:
    """The banner as a certificate prints it (always in Japanese, as the certificate is)."""
    from flask_babel import force_locale

    state = current()
    if state is None:
        return None
    with force_locale("ja"):
        return str(state.banner)
