"""The module contract: what a business module tells the core, and the one loader that reads it.

Each package under ``modules/`` declares ``MODULE = ModuleInfo(...)`` in its ``__init__.py``. The core
never names a module: it iterates over the manifests of the installed ones (``modules.INSTALLED``, in
that order, plus the packages named in ``KYODO_EXTRA_MODULES``; fixed for the life of a process). A manifest refers to the module's
parts by import path so that reading it is cheap; the loader imports every part once, at start-up, and
a part that fails to import stops the start with the module's name: no module is ever silently absent.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType
from typing import Any

from flask import Flask

# The package that holds the platform's own modules, and its list of the installed ones.
MODULE_PACKAGE = "modules"


@dataclass(frozen=True)
class ModuleRole:
    """A role a module declares beyond its viewer and editor (a separate duty, e.g. one that may see
    protected records); named ``<module>.<suffix>`` by the key it is declared under."""

    label_ja: str
    label_en: str
    permissions: frozenset[str]


class ModuleLoadError(RuntimeError):
    """A module's manifest or one of its parts cannot be loaded; the message names the module."""


# eq=False: manifests are singletons compared by identity, and hashable although they hold mappings.
@dataclass(frozen=True, eq=False)
class ModuleInfo:
    """Everything the core needs to know of one module."""

    name: str  # the prefix of its permissions, parameters, endpoints and templates
    label_ja: str
    label_en: str
    summary_ja: str
    summary_en: str
    # "package.module:attribute" of each Flask blueprint; the first one's name must equal ``name``.
    blueprints: tuple[str, ...] = ()
    # Modules whose import declares the module's tables (tenant or shared metadata).
    models: tuple[str, ...] = ()
    # The module that holds ``PARAMETERS``, a list of ``Param`` whose keys start with ``name.``.
    parameters: str | None = None
    # "package.module:attribute" of click commands or groups added to the ``kyodo`` command.
    commands: tuple[str, ...] = ()
    # "package.module:function" called as ``f(db, settings, slugs)`` by ``kyodo init --demo``; yields lines.
    demo: str | None = None
    # Which role of this module each demo account gets: ``{"clerk": "editor", "finance": "viewer"}``.
    demo_roles: Mapping[str, str] = field(default_factory=dict)
    # Permissions beyond ``<name>.view``/``<name>.edit`` that the module's editor role carries.
    editor_permissions: frozenset[str] = frozenset()
    # Further roles of this module by suffix: ``{"protector": ModuleRole(...)}`` is ``<name>.protector``.
    roles: Mapping[str, ModuleRole] = field(default_factory=dict)
    # Permissions this module adds to the core's duties (``finance``, ``secretariat``, ``city_admin``).
    duty_permissions: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Endpoints open to guessing (codes, passwords), throttled per address like sign-in.
    throttled_endpoints: tuple[str, ...] = ()
    # A template the city portal includes when the city has enabled the module.
    portal_panel: str | None = None
    # Modules that must be installed for this one to work.
    requires: tuple[str, ...] = ()
    # "package.module:function" called with no argument by ``register_modules`` when an app is built
    # (web, worker, command line), after every module's parts are imported: e.g. to register a listener
    # with a module this one requires. It may run more than once per process, so it must be idempotent.
    startup: str | None = None
    # The counter (窓口): "package.module:function" called in a request as ``f(atena_no)``, returning
    # the ``tenant_core.visits.PersonAction`` links for that person that the signed-in user may use
    # (証明書交付, 印鑑登録...); a person's page shows those of every enabled module (one visit, no search).
    person_actions: str | None = None
    # The module that keeps the persons: "package.module:function" called as ``f(atena_nos)``,
    # returning ``{atena_no: tenant_core.visits.PersonRef}`` for those the signed-in user may see
    # (a person hidden from them is simply absent). The first installed module declaring it is used.
    person_directory: str | None = None
    # "package.module:function" called as ``f(session, start, end)`` with a session bound to one city's
    # schema: what the module served that city in [start, end) (a calendar month), as counts by counter
    # name (e.g. {"certificates": 12}). Read by whatever measures usage (the cost allocation's 実績).
    usage_counters: tuple[str, ...] = ()
    # Emergency mode (緊急窓口, tenant_core/emergency.py): the endpoints that still take a POST (issuing a
    # certificate; a read whose reason travels in the body) while every other one is refused, and the tenant tables whose rows written there ``kyodo bcp merge`` brings back
    # (rows new since the snapshot are added unless their unique key is already there; a counter
    # table, with ``name`` and ``value`` only, keeps the larger value of its emergency counters).
    emergency_posts: tuple[str, ...] = ()
    emergency_records: tuple[str, ...] = ()
    # "package.module:attribute" of each ``tenant_core.printing.DocumentKind`` the module prints in bulk
    # (a 納税通知書): the printing platform finds them here and never names a module itself.
    document_kinds: tuple[str, ...] = ()
    # "package.module:function" called as ``f(session, old_slug, new_slug)`` when a city's backup is
    # restored under another slug (``kyodo tenants restore --as``), with a session bound to the restored
    # city's schema, inside the restore's transaction: re-encrypt what the module keeps under a key
    # derived from the slug (the 個人番号) with the new slug's key. It flushes; it must not commit.
    rekey: str | None = None
    # "package.module:function" called as ``f(session, slug)`` at the end of every restore, on the restored
    # city, inside the restore's transaction: None when what the module encrypted under the city's key
    # opens with this installation's secret, else the reason (the restore is then undone). The access
    # log's seal catches another secret only once the log has been sealed; this catches it always.
    key_check: str | None = None
    # Work on the platform's schedule: ``("package.module:function", "cron line")`` pairs that rq's cron
    # scheduler (``kyodo backup scheduler``, beside the nightly backups) enqueues; the function is called
    # with no argument in a worker, builds its app and records its own jobs (their records are the result).
    # The cron line is read in Japan time (e.g. ``"0 10 1 * *"``: 10:00 on the 1st of each month).
    scheduled: tuple[tuple[str, str], ...] = ()

    # Labels are declared in both languages, as parameters declare theirs.
    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_ja

    def summary(self, lang: str) -> str:
        return self.summary_en if lang == "en" else self.summary_ja

    @property
    def blueprint_names(self) -> tuple[str, ...]:
        return tuple(bp.name for bp in load_blueprints(self))


def import_part(module: ModuleInfo | str, spec: str) -> Any:
    """``"package.module"`` or ``"package.module:attribute"``; a failure names the module that asked."""
    owner = module.name if isinstance(module, ModuleInfo) else module
    path, _, attr = spec.partition(":")
    try:
        imported: ModuleType = importlib.import_module(path)
        return getattr(imported, attr) if attr else imported
    except Exception as exc:
        raise ModuleLoadError(f"module {owner!r}: cannot load {spec}: {exc}") from exc


def _package_paths() -> list[str]:
    listed = import_part(MODULE_PACKAGE, MODULE_PACKAGE)
    paths = [f"{MODULE_PACKAGE}.{name}" for name in getattr(listed, "INSTALLED", ())]
    # KYODO_EXTRA_MODULES as Settings reads it (comma-separated import paths), read here without
    # validating the whole configuration: ``kyodo --help`` lists module commands before any app exists.
    extra = os.environ.get("KYODO_EXTRA_MODULES", "")
    return paths + [p.strip() for p in extra.split(",") if p.strip()]


@cache
def installed() -> dict[str, ModuleInfo]:
    """The installed modules by name, in their declared order; checked once per process."""
    found: dict[str, ModuleInfo] = {}
    for path in _package_paths():
        info = import_part(path, f"{path}:MODULE")
        if not isinstance(info, ModuleInfo):
            raise ModuleLoadError(f"{path}.MODULE is not a ModuleInfo")
        if info.name in found:
            raise ModuleLoadError(f"module {info.name!r} is installed twice")
        found[info.name] = info
    for info in found.values():
        missing = [name for name in info.requires if name not in found]
        if missing:
            raise ModuleLoadError(f"module {info.name!r} requires {', '.join(missing)}, not installed")
    return found


def iter_modules() -> Iterator[ModuleInfo]:
    return iter(installed().values())


def get_module(name: str) -> ModuleInfo | None:
    return installed().get(name)


def is_installed(name: str) -> bool:
    return name in installed()


def check_module_names(names: list[str] | tuple[str, ...]) -> list[str]:
    known = installed()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown modules: {', '.join(unknown)} (known: {', '.join(known)})")
    return list(names)


@cache
def load_blueprints(info: ModuleInfo) -> tuple[Any, ...]:
    return tuple(import_part(info, spec) for spec in info.blueprints)


@cache
def load_usage_counters(info: ModuleInfo) -> tuple[Any, ...]:
    return tuple(import_part(info, spec) for spec in info.usage_counters)


@cache
def load_scheduled(info: ModuleInfo) -> tuple[tuple[Any, str], ...]:
    """The module's scheduled functions with their cron lines (Japan time)."""
    from croniter import croniter

    found = []
    for spec, cron in info.scheduled:
        if not croniter.is_valid(cron):
            raise ModuleLoadError(f"module {info.name!r}: {spec} has an invalid cron line {cron!r}")
        found.append((import_part(info, spec), cron))
    return tuple(found)


def load_models() -> None:
    """Import every installed module's models so that both metadata objects are complete."""
    for info in iter_modules():
        for spec in info.models:
            import_part(info, spec)


def module_of_blueprint(blueprint: str | None) -> ModuleInfo | None:
    """The module that owns a blueprint (None for the core's own pages)."""
    if blueprint is None:
        return None
    for info in iter_modules():
        if blueprint in info.blueprint_names:
            return info
    return None


def register_modules(app: Flask, pages: bool = True) -> None:
    """Register the blueprints of every installed module; each module's parts are imported here.

    ``pages=False`` (an app without pages, for a command) imports the models and runs the start-up
    hooks only.
    """
    load_models()
    for info in iter_modules() if pages else ():
        blueprints = load_blueprints(info)
        if blueprints and blueprints[0].name != info.name:
            raise ModuleLoadError(
                f"module {info.name!r}: its first blueprint is named {blueprints[0].name!r}"
            )
        for bp in blueprints:
            app.register_blueprint(bp)
        load_usage_counters(info)  # imported at start like every part: a broken one names its module
        for part in (info.rekey, info.key_check):
            if part:
                import_part(info, part)
        load_scheduled(info)
    for info in iter_modules():
        if info.startup:
            import_part(info, info.startup)()
    # The portal shows an "open" button only for modules that have pages.
    app.extensions["kyodo.modules_built"] = {i.name for i in iter_modules() if i.blueprints}
