"""The business and common modules the platform knows, and how they join the app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask

from tenant_core.optional import optional_attr


@dataclass(frozen=True)
class ModuleInfo:
    name: str
    label_ja: str
    label_en: str
    summary_ja: str
    # "package.module:attribute" of the module's blueprint; pages appear once that module exists.
    blueprint: str | None = None

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_ja


MODULES: dict[str, ModuleInfo] = {
    m.name: m
    for m in (
        ModuleInfo(
            "residents",
            "住民記録",
            "Resident records",
            "住民の異動・世帯・共通宛名の管理",
            "modules.residents.blueprint:bp",
        ),
        ModuleInfo(
            "seals", "印鑑登録", "Seal registration", "印鑑の登録・亡失・廃止", "modules.seals.blueprint:bp"
        ),
        ModuleInfo(
            "certificates",
            "証明書交付",
            "Certificates",
            "住民票の写し・印鑑登録証明書の交付",
            "modules.certificates.blueprint:bp",
        ),
        ModuleInfo(
            "inquiry",
            "個人状況照会",
            "Personal status inquiry",
            "業務横断での個人の状況確認",
            "modules.inquiry.blueprint:bp",
        ),
        ModuleInfo(
            "costs",
            "負担金算定",
            "Cost allocation",
            "共同運営費の各市負担額の算定と説明",
            "modules.costs.blueprint:bp",
        ),
    )
}


def check_module_names(names: list[str] | tuple[str, ...]) -> list[str]:
    unknown = [n for n in names if n not in MODULES]
    if unknown:
        raise ValueError(f"unknown modules: {', '.join(unknown)} (known: {', '.join(MODULES)})")
    return list(names)


def blueprint_of(info: ModuleInfo) -> object | None:
    return optional_attr(info.blueprint) if info.blueprint else None


def register_modules(app: Flask) -> None:
    """Register the blueprint of every module that has pages; record which ones do."""
    built = set()
    for info in MODULES.values():
        bp = blueprint_of(info)
        if bp is not None:
            app.register_blueprint(bp)
            built.add(info.name)
    app.extensions["kyodo.modules_built"] = built
