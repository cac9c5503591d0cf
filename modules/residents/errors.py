"""The error every resident operation raises for bad input: the core's ``InputError`` by its name here."""

from __future__ import annotations

from typing import ClassVar

from tenant_core import errors as core


class ResidentError(core.InputError):
    """Input refused; nothing was changed. ``errors`` maps a field name (or ``""``) to its message."""


class Collector(core.Collector):
    """Gathers every problem of one resident input; raises ``ResidentError``."""

    error_class: ClassVar[type[core.InputError]] = ResidentError
