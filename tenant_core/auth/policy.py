"""Each city's security settings: session timeouts, password rules, TOTP, lockout, log retention.

They are parameters (``core.session_idle_minutes`` ...), read through the parameter layer; the
``[security]`` table of tenant.toml sets the city's values when tenants are synced.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, validate


@dataclass(frozen=True)
class SecurityPolicy:
    session_idle_minutes: int = 30
    session_max_hours: int = 10
    password_min_length: int = 12
    totp_required: bool = False
    lockout_threshold: int = 5
    lockout_minutes: int = 15
    audit_retention_years: int = 5

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> SecurityPolicy:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (settings or {}).items() if k in known})

    @classmethod
    def from_params(cls, value_of: Callable[[str], Any]) -> SecurityPolicy:
        """From the parameter layer: each field is the parameter ``core.<field>``."""
        return cls(**{f.name: value_of(f"core.{f.name}") for f in dataclasses.fields(cls)})


class SecurityPolicySchema(Schema):
    session_idle_minutes = fields.Integer(validate=validate.Range(min=5, max=480))
    session_max_hours = fields.Integer(validate=validate.Range(min=1, max=24))
    password_min_length = fields.Integer(validate=validate.Range(min=8, max=128))
    totp_required = fields.Boolean()
    lockout_threshold = fields.Integer(validate=validate.Range(min=3, max=20))
    lockout_minutes = fields.Integer(validate=validate.Range(min=1, max=1440))
    audit_retention_years = fields.Integer(validate=validate.Range(min=1, max=30))


# Operators of the platform follow the strictest defaults.
PLATFORM_POLICY = SecurityPolicy(session_idle_minutes=15, session_max_hours=8, totp_required=False)
