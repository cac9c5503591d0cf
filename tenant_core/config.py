"""Typed configuration read from KYODO_* environment variables and validated at start-up."""

from __future__ import annotations

import datetime as dt
import secrets
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KYODO_", extra="ignore", frozen=True)

    env: Literal["development", "production", "test"] = "development"
    var_dir: Path = Field(default=PROJECT_ROOT / "var")
    tenants_dir: Path = Field(default=PROJECT_ROOT / "tenants")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str | None = None
    db_pool_size: int = Field(default=5, ge=1, le=200)
    # Test each pooled connection with a round trip at checkout; off: connections are recycled after
    # 30 minutes and a request whose first statement meets a dropped one retries it on a new one.
    db_pre_ping: bool = False
    default_locale: Literal["ja", "en"] = "ja"
    # Sign-in attempts allowed per client address (flask-limiter syntax), on top of the per-account lockout.
    login_rate_limit: str = "30 per 10 minutes"
    # Reverse proxies in front of the app (hops of X-Forwarded-For/-Proto to trust; 0: none).
    trusted_proxies: int = Field(default=0, ge=0, le=5)
    # Who may read /metrics: addresses or networks (comma-separated CIDRs), or a bearer token.
    metrics_allow: str = ""
    metrics_token: str | None = None
    # Largest request body accepted, in megabytes (uploads included); larger is refused with 413.
    max_request_mb: int = Field(default=8, ge=1, le=1024)
    # The access log: a city's head is copied into the platform chain every N sealed entries or M minutes;
    # an entry not sealed within the grace period is reported by `kyodo audit verify`.
    audit_checkpoint_every: int = Field(default=100, ge=1, le=1_000_000)
    audit_checkpoint_minutes: float = Field(default=10, gt=0, le=24 * 60)
    audit_seal_grace_minutes: float = Field(default=10, gt=0, le=24 * 60)
    demo: bool = False
    # The address the public reaches this deployment at (https://kyodo.example.jp): printed on
    # certificates for their verification page, never taken from a request's Host header.
    public_url: str | None = None
    # The passphrase of each city's signing key file (PKCS#12 under var/tenants/<slug>/); required
    # in production, derived from the secret key elsewhere.
    signing_passphrase: str | None = None
    # Extra Alembic version folders for the tenant history; tests use it to add a failing migration.
    extra_tenant_migrations: list[Path] = Field(default_factory=list)
    # Module packages installed beside those of ``modules.INSTALLED``, comma-separated import paths.
    extra_modules: str = ""
    # Jobs: how often a running job writes its heartbeat, after how long without one it counts as lost,
    # how often the worker reaps and sweeps, and how many runs an idempotent job gets automatically.
    jobs_heartbeat_seconds: int = Field(default=15, ge=1, le=3600)
    jobs_stale_seconds: int = Field(default=120, ge=2, le=86400)
    jobs_maintenance_seconds: int = Field(default=30, ge=1, le=3600)
    jobs_max_attempts: int = Field(default=3, ge=1, le=100)
    # Backups: the operator's key for the archives (never the app's secret), where the nightly ones go,
    # and how many daily, weekly and monthly archives of each city are kept.
    backup_key: str | None = None
    backup_dir: Path | None = None
    backup_keep_daily: int = Field(default=7, ge=1, le=366)
    backup_keep_weekly: int = Field(default=4, ge=0, le=520)
    backup_keep_monthly: int = Field(default=12, ge=0, le=1200)
    # The nightly run: its local time (Japan) on business days, after the counters close.
    # Whether the nightly job also rebuilds each city's emergency-counter package beside its archives.
    backup_bcp_snapshots: bool = True
    backup_at: str = Field(default="19:30", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

    # The emergency counter (緊急窓口, ``kyodo bcp serve``): read-only but for the routes modules declare,
    # on a snapshot of one city taken on ``emergency_as_of``; older than ``emergency_max_age_days``, every
    # page warns that the data may be out of date.
    emergency: bool = False
    emergency_as_of: dt.date | None = None
    emergency_max_age_days: int = Field(default=3, ge=0, le=365)

    @property
    def resolved_backup_dir(self) -> Path:
        return self.backup_dir or self.var_dir / "backups"

    @property
    def metrics_networks(self) -> list[IPv4Network | IPv6Network]:
        return [
            ip_network(part.strip(), strict=False) for part in self.metrics_allow.split(",") if part.strip()
        ]

    @field_validator("metrics_allow")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(f"not an address or network: {part.strip()!r}") from None
        return value

    @property
    def extra_module_packages(self) -> list[str]:
        return [p.strip() for p in self.extra_modules.split(",") if p.strip()]

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
            raise ValueError("must be an http(s):// address, such as https://kyodo.example.jp")
        return value.rstrip("/")

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

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("must start with sqlite:/// or postgresql+psycopg://")
        if value and value.startswith("postgresql:"):
            # psycopg 3 is the driver we ship; the bare scheme would pick psycopg2.
            value = "postgresql+psycopg:" + value[len("postgresql:") :]
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value == "":
            return None
        if value is not None and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value

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
    """Read the environment (overrides win) and turn validation errors into one readable message."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # pydantic validates the values
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(part) for part in err["loc"])
            problems.append(f"KYODO_{field.upper()}: {err['msg']} (got {err.get('input')!r})")
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None
