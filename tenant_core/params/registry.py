"""Every declared parameter: the core's own and each module's ``parameters.py``.

The registry is built once, when the app starts; a bad declaration stops the start, and asking for
a key nobody declared is an error, never a silent default.
"""

from __future__ import annotations

from collections.abc import Iterable

from tenant_core.modules import import_part, iter_modules
from tenant_core.params.declare import Param, check_declaration

CORE = "core"


class UnknownParameter(KeyError):
    """A key that no module declares."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"未定義のパラメータです: {self.key} (unknown parameter)"


class DeclarationProblem(RuntimeError):
    """A module declares a parameter badly; raised at start-up."""


class Registry:
    def __init__(self, params: Iterable[Param]) -> None:
        self._params: dict[str, Param] = {}
        problems: list[str] = []
        for p in params:
            if p.key in self._params:
                problems.append(f"{p.key}: declared twice")
            problems.extend(check_declaration(p))
            self._params[p.key] = p
        if problems:
            raise DeclarationProblem("bad parameter declarations:\n  " + "\n  ".join(problems))

    def get(self, key: str) -> Param:
        try:
            return self._params[key]
        except KeyError:
            raise UnknownParameter(key) from None

    def __contains__(self, key: object) -> bool:
        return key in self._params

    def __iter__(self):
        return iter(self._params.values())

    def __len__(self) -> int:
        return len(self._params)

    def keys(self) -> list[str]:
        return list(self._params)

    def modules(self) -> list[str]:
        """Module names in the platform's order, the core first."""
        present = {p.module for p in self}
        return [m for m in (CORE, *(i.name for i in iter_modules())) if m in present]

    def of_module(self, module: str | None) -> list[Param]:
        return [p for p in self if module in (None, "", p.module)]


def _collect() -> list[Param]:
    from tenant_core.params.core_parameters import PARAMETERS as core

    sources = [(CORE, "tenant_core.params.core_parameters", core)]
    for info in iter_modules():
        if info.parameters:
            sources.append((info.name, info.parameters, import_part(info, f"{info.parameters}:PARAMETERS")))
    found: list[Param] = []
    for prefix, path, params in sources:
        for p in params:
            if p.module != prefix:
                raise DeclarationProblem(f"{path} declares {p.key}: its keys must start with {prefix}.")
            found.append(p)
    return found


_registry: Registry | None = None


def registry() -> Registry:
    """The registry of this process (parameters are code: one per process)."""
    global _registry
    if _registry is None:
        _registry = Registry(_collect())
    return _registry


def get(key: str) -> Param:
    return registry().get(key)
