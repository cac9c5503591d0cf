"""Validation of tenant slugs and 全国地方公共団体コード (local government codes)."""

from __future__ import annotations

import re

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_CODE_WEIGHTS = (6, 5, 4, 3, 2)


def is_valid_slug(slug: str) -> bool:
    return bool(SLUG_PATTERN.fullmatch(slug or ""))


def check_slug(slug: str) -> str:
    if not is_valid_slug(slug):
        raise ValueError(
            f"invalid slug {slug!r}: use 2–40 lower-case letters, digits or '_' starting with a letter"
        )
    return slug


def code_check_digit(first_five: str) -> int:
    """The check digit of a local government code: 11 minus the weighted sum mod 11, last digit."""
    total = sum(int(d) * w for d, w in zip(first_five, _CODE_WEIGHTS, strict=True))
    return (11 - total % 11) % 10


def check_code(code: str) -> str:
    if not re.fullmatch(r"\d{6}", code or ""):
        raise ValueError(f"団体コード {code!r} must be 6 digits")
    expected = code_check_digit(code[:5])
    if int(code[5]) != expected:
        raise ValueError(f"団体コード {code!r}: check digit should be {expected}, not {code[5]}")
    return code


def schema_name(slug: str) -> str:
    """The database schema of a tenant; the slug is validated so the name is a safe identifier."""
    return f"t_{check_slug(slug)}"
