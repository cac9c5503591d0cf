"""Roles by duty (事務分掌) and the permissions each one opens."""

from __future__ import annotations

from dataclasses import dataclass

from tenant_core.modules import MODULES

PLATFORM_OPERATOR = "platform_operator"
CITY_ADMIN = "city_admin"
FINANCE = "finance"
SECRETARIAT = "secretariat"


@dataclass(frozen=True)
class Role:
    name: str
    label_ja: str
    permissions: frozenset[str]
    platform: bool = False


def _module_roles() -> list[Role]:
    roles = []
    for m in MODULES.values():
        roles.append(Role(f"{m.name}.viewer", f"{m.label_ja}（照会）", frozenset({f"{m.name}.view"})))
        editor = {f"{m.name}.view", f"{m.name}.edit"}
        if m.name in ("residents", "inquiry"):
            editor.add("residents.view_mynumber")  # only editors of resident data may see the 個人番号
        roles.append(Role(f"{m.name}.editor", f"{m.label_ja}（更新）", frozenset(editor)))
    return roles


ROLES: dict[str, Role] = {
    r.name: r
    for r in (
        Role(
            CITY_ADMIN,
            "団体管理者",
            frozenset(
                {"users.manage", "audit.view", "audit.export", "params.view", "params.edit", "jobs.run"}
            ),
        ),
        Role(FINANCE, "財政担当", frozenset({"costs.view", "costs.export"})),
        Role(
            SECRETARIAT,
            "協議会事務局",
            frozenset(
                {"costs.view", "costs.edit", "params.view", "params.compare", "params.edit_consortium"}
            ),
        ),
        *_module_roles(),
        Role(PLATFORM_OPERATOR, "運用事業者", frozenset({"platform.manage"}), platform=True),
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
