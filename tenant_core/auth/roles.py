"""Roles by duty (事務分掌) and the permissions each one opens."""

from __future__ import annotations

from dataclasses import dataclass

from tenant_core.modules import iter_modules

PLATFORM_OPERATOR = "platform_operator"
CITY_ADMIN = "city_admin"
FINANCE = "finance"
SECRETARIAT = "secretariat"


@dataclass(frozen=True)
class Role:
    name: str
    label_ja: str
    label_en: str
    permissions: frozenset[str]
    platform: bool = False

    def label(self, lang: str) -> str:
        """Labels are declared in both languages, as modules and parameters declare theirs."""
        return self.label_en if lang == "en" else self.label_ja


def _module_roles() -> list[Role]:
    """A viewer and an editor role per installed module, as its manifest describes them."""
    roles = []
    for m in iter_modules():
        roles.append(
            Role(
                f"{m.name}.viewer",
                f"{m.label_ja}（照会）",
                f"{m.label_en} (view)",
                frozenset({f"{m.name}.view"}),
            )
        )
        editor = {f"{m.name}.view", f"{m.name}.edit", *m.editor_permissions}
        roles.append(
            Role(f"{m.name}.editor", f"{m.label_ja}（更新）", f"{m.label_en} (update)", frozenset(editor))
        )
        for suffix, extra in m.roles.items():
            roles.append(
                Role(
                    f"{m.name}.{suffix}",
                    f"{m.label_ja}（{extra.label_ja}）",
                    f"{m.label_en} ({extra.label_en})",
                    extra.permissions,
                )
            )
    return roles


def _duty(name: str, label_ja: str, label_en: str, own: set[str]) -> Role:
    """A core duty with what each installed module adds to it (manifest ``duty_permissions``)."""
    added = {p for m in iter_modules() for p in m.duty_permissions.get(name, ())}
    return Role(name, label_ja, label_en, frozenset(own | added))


ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        _duty(
            CITY_ADMIN,
            "団体管理者",
            "City administrator",
            {"users.manage", "audit.view", "audit.export", "params.view", "params.edit", "jobs.run"},
        ),
        _duty(FINANCE, "財政担当", "Finance", set()),
        _duty(
            SECRETARIAT,
            "協議会事務局",
            "Consortium secretariat",
            {"params.view", "params.compare", "params.edit_consortium"},
        ),
        *_module_roles(),
        Role(
            PLATFORM_OPERATOR,
            "運用事業者",
            "Platform operator",
            frozenset({"platform.manage"}),
            platform=True,
        ),
    )
}

# Every signed-in staff member may see the portal and their own jobs.
STAFF_BASE = frozenset({"portal.view", "account.self"})


def permissions_for(role_names: list[str] | tuple[str, ...] | set[str]) -> frozenset[str]:
    perms: set[str] = set()
    for name in role_names:
        role = ROLES.get(name)
        if role is not None:
            perms |= role.permissions
    return frozenset(perms)


def city_roles() -> list[Role]:
    return [r for r in ROLES.values() if not r.platform]


def check_role_names(names: list[str] | tuple[str, ...], *, platform: bool) -> list[str]:
    allowed = {r.name for r in ROLES.values() if r.platform == platform}
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ValueError(f"unknown role(s) for this kind of account: {', '.join(unknown)}")
    return list(dict.fromkeys(names))
