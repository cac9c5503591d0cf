"""Typed configuration read from KYODO_* environment variables and validated at start-up.

Declared once, as the frozen dataclass ``Settings``: each field's type and its rules (``rules(...)``:
a range, a pattern, a check) are what ``load_settings`` asks of the variable. marshmallow, which the
app already uses for its declarations and its API schemas, converts and validates the strings of
the environment through a schema made from those fields; every problem is reported at once, named
by its variable. (A settings library of its own cost each process 10 MiB and a tenth of a second at
every start: ``tests/bench/RESULTS.md``.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PREFIX = "KYODO_"


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed; the message names the variable."""


def rules(
    default: Any = dataclasses.MISSING,
    *,
    ge: float | None = None,
    gt: float | None = None,
    le: float | None = None,
    pattern: str | None = None,
    check: Callable[[Any], Any] | None = None,
) -> Any:
    """A field with the rules its variable must meet; ``check`` may also normalise (its result is kept)
    and raises ValueError with the reason."""
    return field(default=default, metadata={"ge": ge, "gt": gt, "le": le, "pattern": pattern, "check": check})


def _networks(value: str) -> str:
    for part in value.split(","):
        if part.strip():
            try:
                ip_network(part.strip(), strict=False)
            except ValueError:
                raise ValueError(f"not an address or network: {part.strip()!r}") from None
    return value


def _public_url(value: str | None) -> str | None:
    if not value:
        return None
    if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
        raise ValueError("must be an http(s):// address, such as https://kyodo.example.jp")
    return value.rstrip("/")


def _known_database(value: str | None) -> str | None:
    if value is not None and not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
        raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
    if value and value.startswith("postgresql:"):
        # psycopg 3 is the driver we ship; the bare scheme would pick psycopg2.
        value = "postgresql+psycopg:" + value[len("postgresql:") :]
    return value


def _redis_scheme(value: str | None) -> str | None:
    if value == "":
        return None
    if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("must start with redis://, rediss:// or unix://")
    return value


@dataclass(frozen=True)
class Settings:
    env: Literal["development", "production", "test"] = "development"
    var_dir: Path = PROJECT_ROOT / "var"
    tenants_dir: Path = PROJECT_ROOT / "tenants"
    database_url: str | None = rules(None, check=_known_database)
    redis_url: str | None = rules(None, check=_redis_scheme)
    secret_key: str | None = None
    db_pool_size: int = rules(5, ge=1, le=200)
    # Test each pooled connection with a round trip at checkout; off: connections are recycled after
    # 30 minutes and a request whose first statement meets a dropped one retries it on a new one.
    db_pre_ping: bool = False
    default_locale: Literal["ja", "en"] = "ja"
    # Sign-in attempts allowed per client address (flask-limiter syntax), on top of the per-account lockout.
    login_rate_limit: str = "30 per 10 minutes"
    # Reverse proxies in front of the app (hops of X-Forwarded-For/-Proto to trust; 0: none).
    trusted_proxies: int = rules(0, ge=0, le=5)
    # Who may read /metrics: addresses or networks (comma-separated CIDRs), or a bearer token.
    metrics_allow: str = rules("", check=_networks)
    metrics_token: str | None = None
    # Largest request body accepted, in megabytes (uploads included); larger is refused with 413.
    max_request_mb: int = rules(8, ge=1, le=1024)
    # The access log: a city's head is copied into the platform chain every N sealed entries or M minutes;
    # an entry not sealed within the grace period is reported by `kyodo audit verify`.
    audit_checkpoint_every: int = rules(100, ge=1, le=1_000_000)
    audit_checkpoint_minutes: float = rules(10, gt=0, le=24 * 60)
    audit_seal_grace_minutes: float = rules(10, gt=0, le=24 * 60)
    demo: bool = False
    # The address the public reaches this deployment at (https://kyodo.example.jp): printed on
    # certificates for their verification page, never taken from a request's Host header.
    public_url: str | None = rules(None, check=_public_url)
    # The passphrase of each city's signing key file (PKCS#12 under var/tenants/<slug>/); required
    # in production, derived from the secret key elsewhere.
    signing_passphrase: str | None = None
    # Extra Alembic version folders for the tenant history; tests use it to add a failing migration.
    extra_tenant_migrations: list[Path] = field(default_factory=list)
    # Module packages installed beside those of ``modules.INSTALLED``, comma-separated import paths.
    extra_modules: str = ""
    # Jobs: how often a running job writes its heartbeat, after how long without one it counts as lost,
    # how often the worker reaps and sweeps, and how many runs an idempotent job gets automatically.
    jobs_heartbeat_seconds: int = rules(15, ge=1, le=3600)
    jobs_stale_seconds: int = rules(120, ge=2, le=86400)
    jobs_maintenance_seconds: int = rules(30, ge=1, le=3600)
    jobs_max_attempts: int = rules(3, ge=1, le=100)
    # Backups: the operator's key for the archives (never the app's secret), where the nightly ones go,
    # and how many daily, weekly and monthly archives of each city are kept.
    backup_key: str | None = None
    backup_dir: Path | None = None
    backup_keep_daily: int = rules(7, ge=1, le=366)
    backup_keep_weekly: int = rules(4, ge=0, le=520)
    backup_keep_monthly: int = rules(12, ge=0, le=1200)
    # The nightly run: its local time (Japan) on business days, after the counters close.
    # Whether the nightly job also rebuilds each city's emergency-counter package beside its archives.
    backup_bcp_snapshots: bool = True
    backup_at: str = rules("19:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

    # The emergency counter (緊急窓口, ``kyodo bcp serve``): read-only but for the routes modules declare,
    # on a snapshot of one city taken on ``emergency_as_of``; older than ``emergency_max_age_days``, every
    # page warns that the data may be out of date.
    emergency: bool = False
    emergency_as_of: dt.date | None = None
    emergency_max_age_days: int = rules(3, ge=0, le=365)

    @property
    def resolved_backup_dir(self) -> Path:
        return self.backup_dir or self.var_dir / "backups"

    @property
    def metrics_networks(self) -> list[IPv4Network | IPv6Network]:
        return [
            ip_network(part.strip(), strict=False) for part in self.metrics_allow.split(",") if part.strip()
        ]

    @property
    def extra_module_packages(self) -> list[str]:
        return [p.strip() for p in self.extra_modules.split(",") if p.strip()]

    def resolved_public_url(self) -> str:
        """The public address; ``http://localhost:5000`` outside production when none is set."""
        if self.public_url:
            return self.public_url
        if self.env == "production":
            raise ConfigError("KYODO_PUBLIC_URL: required when KYODO_ENV=production")
        return "http://localhost:5000"

    def resolved_signing_passphrase(self) -> bytes:
        """The passphrase of the cities' signing key files."""
        if self.signing_passphrase:
            return self.signing_passphrase.encode()
        if self.env == "production":
            raise ConfigError("KYODO_SIGNING_PASSPHRASE: required when KYODO_ENV=production")
        import hashlib

        return (
            hashlib.sha256(b"kyodo-signing-key:" + self.resolved_secret_key().encode()).hexdigest().encode()
        )

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'kyodo.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite:")

    def resolved_secret_key(self) -> str:
        """The secret key; generated once into var/ outside production, required in production."""
        if self.secret_key:
            return self.secret_key
        if self.env == "production":
            raise ConfigError("KYODO_SECRET_KEY: required when KYODO_ENV=production")
        key_file = self.var_dir / "secret_key"
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_hex(32))
            key_file.chmod(0o600)
        return key_file.read_text().strip()


def load_settings(**overrides: object) -> Settings:
    """Read the environment (overrides win) and turn every problem into one readable message."""
    names = _names()
    given: dict[str, object] = {}
    for key, value in os.environ.items():
        # As the variables were read before: KYODO_ and the field's name, in either case.
        if key.upper().startswith(PREFIX) and key[len(PREFIX) :].lower() in names:
            given[key[len(PREFIX) :].lower()] = value
    given.update({k: v for k, v in overrides.items() if k in names})
    return _checked(given)


def replaced(settings: Settings, **changes: object) -> Settings:
    """A copy of ``settings`` with ``changes``, checked as the environment's values are."""
    unknown = set(changes) - _names()
    if unknown:
        raise TypeError(f"not a setting: {', '.join(sorted(unknown))}")
    return _checked({**dataclasses.asdict(settings), **changes})


def _names() -> set[str]:
    return {f.name for f in dataclasses.fields(Settings)}


def _checked(values: dict[str, object]) -> Settings:
    converted, problems = _converted(values)
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return Settings(**converted)


def _converted(given: dict[str, object]) -> tuple[dict[str, Any], list[str]]:
    from marshmallow import ValidationError

    schema = _schema()
    values: dict[str, Any] = {}
    problems: list[str] = []
    for name, raw in given.items():
        try:
            values[name] = schema[name](raw)
        except (ValidationError, ValueError, TypeError) as exc:
            reason = "; ".join(_messages(exc.messages)) if isinstance(exc, ValidationError) else str(exc)
            problems.append(f"{PREFIX}{name.upper()}: {reason} (got {raw!r})")
    return values, problems


def _messages(messages: Any) -> list[str]:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _messages(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _messages(value)]
    return [str(messages)]


_SCHEMA: dict[str, Callable[[object], Any]] = {}


def _schema() -> dict[str, Callable[[object], Any]]:
    """One converter per field, made once from the dataclass: a marshmallow field for the type and
    the rules, then the field's own check."""
    if not _SCHEMA:
        hints = get_type_hints(Settings)
        for f in dataclasses.fields(Settings):
            _SCHEMA[f.name] = _converter(hints[f.name], f.metadata)
    return _SCHEMA


def _converter(kind: Any, meta: Mapping[str, Any]) -> Callable[[object], Any]:
    from marshmallow import fields, validate

    checks: list[Any] = []
    if meta.get("ge") is not None or meta.get("le") is not None:
        checks.append(validate.Range(min=meta.get("ge"), max=meta.get("le")))
    if meta.get("gt") is not None:
        checks.append(validate.Range(min=meta["gt"], min_inclusive=False))
    if meta.get("pattern"):
        checks.append(validate.Regexp(meta["pattern"]))
    args = [a for a in get_args(kind) if a is not type(None)]
    optional = type(None) in get_args(kind)
    base = args[0] if optional and len(args) == 1 else kind
    after: Callable[[Any], Any] = lambda v: v  # noqa: E731
    if get_origin(base) is Literal:
        checks.append(validate.OneOf([str(a) for a in get_args(base)]))
        marsh: fields.Field = fields.String(validate=checks, allow_none=optional)
    elif get_origin(base) is list:
        marsh = fields.List(fields.String(), allow_none=optional)
        after = lambda v: v if v is None else [Path(p) for p in v]  # noqa: E731
    elif base is bool:
        marsh = fields.Boolean(allow_none=optional)
    elif base is int:
        marsh = fields.Integer(validate=checks, allow_none=optional)
    elif base is float:
        marsh = fields.Float(validate=checks, allow_none=optional)
    elif base is dt.date:
        marsh = fields.Date(allow_none=optional)
    elif base is Path:
        marsh = fields.String(allow_none=optional)
        after = lambda v: v if v is None else Path(v)  # noqa: E731
    else:
        marsh = fields.String(validate=checks, allow_none=optional)
    check = meta.get("check")

    def convert(raw: object) -> Any:
        if isinstance(raw, Path | dt.date):  # an override given as the value itself, not as text
            raw = raw.isoformat() if isinstance(raw, dt.date) else str(raw)
        elif get_origin(base) is list:
            # From the environment a list comes as JSON text; given in code, as a list of paths.
            items = json.loads(raw) if isinstance(raw, str) and raw.strip() else raw or []
            raw = [str(p) for p in items] if isinstance(items, list | tuple) else items
        value = after(marsh.deserialize(raw))
        return check(value) if check is not None else value

    return convert
