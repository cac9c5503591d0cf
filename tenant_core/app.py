"""The application factory; extensions are initialised in one explicit order."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template

from tenant_core import emergency, formatting, i18n, logs
from tenant_core.config import Settings, load_settings
from tenant_core.db import Database, make_engine
from tenant_core.japanese import jst
from tenant_core.modules import register_modules

# The request machinery (tenancy, the request boundary, sign-in, CSRF, metrics) and the pages are
# imported inside ``create_app`` when the app serves pages: a command's app does without them.


class KyodoFlask(Flask):
    """Flask, deciding once per function whether a view or hook is a coroutine.

    Flask asks ``inspect.iscoroutinefunction`` of every hook and view on every request (about twenty
    times a page here); the answer never changes, so it is kept.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync: dict[Any, Any] = {}

    def ensure_sync(self, func: Any) -> Any:
        try:
            return self._sync[func]
        except KeyError:
            made = self._sync[func] = super().ensure_sync(func)
            return made
        except TypeError:  # an unhashable callable: ask each time, as Flask does
            return super().ensure_sync(func)


def create_app(config: Settings | dict[str, Any] | None = None, *, pages: bool = True) -> Flask:
    """Build the Kyodo app; ``config`` overrides the environment (tests pass a Settings or a dict).

    ``pages=False`` builds it without its pages (no blueprint, so none of the views, forms and their
    libraries is imported): for the operator's commands that only need the database, the settings and
    the modules' models, parameters and jobs.
    """
    settings = config if isinstance(config, Settings) else load_settings(**(config or {}))
    app = KyodoFlask(__name__)
    app.config.update(
        SECRET_KEY=settings.resolved_secret_key(),
        KYODO_ENV=settings.env,
        JSON_AS_ASCII=False,
        KYODO_AUDIT_CHECKPOINT_EVERY=settings.audit_checkpoint_every,
        KYODO_AUDIT_CHECKPOINT_MINUTES=settings.audit_checkpoint_minutes,
        KYODO_AUDIT_SEAL_GRACE_MINUTES=settings.audit_seal_grace_minutes,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["kyodo.settings"] = settings
    # Timestamps are stored in UTC and shown in Japan time everywhere.
    app.add_template_filter(jst, "jst")
    formatting.init_app(app)

    # 1. storage and queues
    app.extensions["kyodo.db"] = Database(
        make_engine(settings.resolved_database_url, settings.db_pool_size, settings.db_pre_ping)
    )
    if settings.redis_url:
        from redis import Redis

        # Short timeouts: Redis being down must degrade a request (jobs wait for the sweeper), not hang it.
        app.extensions["kyodo.redis"] = Redis.from_url(
            settings.redis_url, socket_connect_timeout=2, socket_timeout=5
        )
        from tenant_core.tenancy import watch_tenants

        watch_tenants(app)
    if not pages:
        # A command: the language, the logs, the modules' models, parameters and jobs, and the key check.
        from tenant_core.audit.keycheck import check_key_at_startup

        logs.init_app(app)
        i18n.init_app(app)
        register_modules(app, pages=False)
        emergency.init_app(app)  # the state (numbers reserved in emergency mode come from their range)
        check_key_at_startup(app)
        return app
    from werkzeug.middleware.proxy_fix import ProxyFix

    from tenant_core import api, boundary, concurrency, inputs, metrics, security, tenancy, visits
    from tenant_core.auth import guard
    from tenant_core.permissions import public

    # 2. per-request machinery, in the order a request meets it: proxy headers, request id, language, tenant from the URL,
    #    session boundary, metrics, CSRF and headers, then the signed-in user and the permission check
    if settings.trusted_proxies:
        # The client's address, scheme and host as the trusted proxies saw them (X-Forwarded-*):
        # the access log, the sign-in throttle and /metrics' allow list see the real client.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    logs.init_app(app)
    i18n.init_app(app)
    tenancy.init_app(app)
    boundary.init_app(app)
    metrics.init_app(app)
    security.init_app(app)
    guard.init_app(app)
    inputs.init_app(app)  # the bounded <int:...> converter (before any route) and the query-string check
    visits.init_app(app)  # the person at the counter and the staff menu, for every page
    # 3. routes: core pages first, then the business modules
    from tenant_core import health
    from tenant_core.admin.blueprint import bp as admin_bp
    from tenant_core.auth.blueprint import bp as auth_bp
    from tenant_core.auth.blueprint import platform_bp as platform_auth_bp
    from tenant_core.params.blueprint import bp as params_bp
    from tenant_core.platform.blueprint import bp as platform_bp
    from tenant_core.portal.blueprint import bp as portal_bp
    from tenant_core.printing.blueprint import bp as printing_bp

    app.register_blueprint(health.bp)
    app.register_blueprint(platform_bp)
    app.register_blueprint(portal_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(platform_auth_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(params_bp)
    app.register_blueprint(printing_bp)
    app.view_functions["static"] = public(_static_view(app))
    register_modules(app)
    emergency.init_app(app)  # after the modules: it reads the writes their manifests allow
    security.limit_guessable_forms(app)
    _register_error_pages(app)
    concurrency.init_app(app)
    api.init_app(app)  # last: it wraps every error handler registered above (JSON under /api)

    return app


def _static_view(app: Flask):
    def static(filename: str):
        return app.send_static_file(filename)

    return static


def _register_error_pages(app: Flask) -> None:
    for code in (403, 404, 500):
        app.register_error_handler(
            code, lambda exc, code=code: (render_template("core/error.html", code=code, error=exc), code)
        )
