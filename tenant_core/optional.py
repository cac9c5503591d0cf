"""Import a part that may not exist yet, without hiding errors inside parts that do."""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


def optional_module(path: str) -> ModuleType | None:
    """The module at ``path``, or None when that module (or its package) does not exist."""
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name and (path == exc.name or path.startswith(exc.name + ".")):
            return None
        raise


def optional_attr(spec: str) -> Any | None:
    """``"package.module:attribute"``, or None when the module does not exist."""
    path, _, attr = spec.partition(":")
    module = optional_module(path)
    return None if module is None else getattr(module, attr)
