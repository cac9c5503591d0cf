"""Each city's declaration in ``tenants/<slug>/tenant.toml``, validated with marshmallow."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from tenant_core.auth.policy import SecurityPolicySchema
from tenant_core.codes import SLUG_PATTERN, check_code
from tenant_core.modules import check_module_names


class PopulationSchema(Schema):
    residents = fields.Integer(required=True, validate=validate.Range(min=0))
    households = fields.Integer(required=True, validate=validate.Range(min=0))
    as_of = fields.Date(required=True)


class ConsortiumSchema(Schema):
    slug = fields.String(required=True, validate=validate.Regexp(SLUG_PATTERN))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TenantDeclarationSchema(Schema):
    slug = fields.String(required=True, validate=validate.Regexp(SLUG_PATTERN))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.String(load_default=None)
    code = fields.String(required=True)
    consortium = fields.Nested(ConsortiumSchema, required=True)
    population = fields.Nested(PopulationSchema, load_default=None)
    modules = fields.List(fields.String(), load_default=list)
    security = fields.Nested(SecurityPolicySchema, load_default=dict)

    @validates("code")
    def _code(self, value: str, **_: Any) -> None:
        try:
            check_code(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None

    @validates("modules")
    def _modules(self, value: list[str], **_: Any) -> None:
        try:
            check_module_names(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class DeclarationError(ValueError):
    """A tenant.toml that cannot be read or does not validate; the message names the file."""


def load_declaration(path: Path) -> dict[str, Any]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DeclarationError(f"{path}: {exc}") from None
    try:
        data = TenantDeclarationSchema().load(raw)
    except ValidationError as exc:
        raise DeclarationError(f"{path}: {exc.messages}") from None
    if data["slug"] != path.parent.name:
        raise DeclarationError(f"{path}: slug {data['slug']!r} differs from its folder {path.parent.name!r}")
    return data


def load_declarations(tenants_dir: Path) -> list[dict[str, Any]]:
    """Every declaration under ``tenants_dir``; all are validated before any is used."""
    return [load_declaration(p) for p in sorted(tenants_dir.glob("*/tenant.toml"))]
