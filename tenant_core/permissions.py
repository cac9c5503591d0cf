"""Declaring who may open a route: ``@require("perm")`` or ``@public``; undeclared routes are refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])


def public(view: F) -> F:
    """Declare a view open without sign-in (sign-in page, health, metrics, the city chooser)."""
    view.kyodo_public = True  # type: ignore[attr-defined]
    return view


def require(permission: str) -> Callable[[F], F]:
    """Declare the permission a view needs; the guard checks it before the view runs."""

    def mark(view: F) -> F:
        view.kyodo_permission = permission  # type: ignore[attr-defined]
        return view

    return mark


def declared_permission(view: Callable[..., object]) -> str | None:
    return getattr(view, "kyodo_permission", None)


def is_public(view: Callable[..., object]) -> bool:
    return bool(getattr(view, "kyodo_public", False))
