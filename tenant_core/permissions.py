"""Marking routes public; the permission checks themselves come with accounts and roles."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])


def public(view: F) -> F:
    """Declare a view open without sign-in (health, metrics, static pages)."""
    view.kyodo_public = True  # type: ignore[attr-defined]
    return view
