"""Japanese by default, English on request (``?lang=en``, remembered in a cookie)."""

from __future__ import annotations

from flask import Flask, Response, g, has_request_context, request
from flask_babel import Babel

LANGUAGES = ("ja", "en")
_COOKIE = "kyodo_lang"


def select_locale() -> str:
    # Outside a request (command line, jobs) messages stay in Japanese, as the operator's output is.
    if not has_request_context():
        return "ja"
    chosen = request.args.get("lang") or request.cookies.get(_COOKIE)
    return chosen if chosen in LANGUAGES else "ja"


def request_lang() -> str:
    """The request's language, for labels declared in both languages (a column's, a parameter's)."""
    return g.get("lang", "ja") if has_request_context() else "ja"


def _remember_choice(response: Response) -> Response:
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        response.set_cookie(_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax")
    return response


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    app.after_request(_remember_choice)
    app.context_processor(lambda: {"current_lang": select_locale(), "languages": LANGUAGES})
    app.before_request(lambda: setattr(g, "lang", select_locale()))
