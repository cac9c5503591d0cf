"""The module contract: a module joins the platform through its manifest alone.

``tests/core/extra_modules/kyodo_sample`` is a complete module that no file in ``tenant_core/`` knows.
It is installed through ``KYODO_EXTRA_MODULES`` in a process of its own (the installed modules are fixed
per process), and every way the core uses a module is checked there: pages, permission and roles,
parameters, tables, the command line, demo data, throttling and the portal panel.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from tenant_core.config import PROJECT_ROOT
from tenant_core.modules import iter_modules

EXTRA = Path(__file__).parent / "extra_modules"

SCRIPT = textwrap.dedent(
    """
    import json, re
    import sqlalchemy as sa
    from tenant_core.app import create_app
    from tenant_core.auth.roles import ROLES
    from tenant_core.demo import demo_roles
    from tenant_core.extensions import get_db, get_settings
    from tenant_core.migrate import upgrade_shared
    from tenant_core.params.registry import registry
    from tests import factories

    app = create_app()
    app.config["TESTING"] = True
    out = {}
    with app.app_context():
        db = get_db()
        upgrade_shared(db)
        factories.tenant(db, "mihon", modules=("residents", "sample"))
        factories.user(db, "mihon", "viewer", ["sample.viewer"])
        factories.user(db, "mihon", "nobody", ["residents.viewer"])
        with db.session("t_mihon") as s:
            out["tables"] = sorted(sa.inspect(s.connection()).get_table_names(schema="t_mihon"))
    client = app.test_client()

    def sign_in(login):
        c = app.test_client()
        page = c.get("/mihon/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
        c.post("/mihon/login", data={"login": login, "password": factories.PASSWORD, "csrf_token": token})
        return c

    viewer = sign_in("viewer")
    page = viewer.get("/mihon/sample/")
    out["page"] = [page.status_code, page.get_data(as_text=True)]
    out["portal"] = viewer.get("/mihon/").get_data(as_text=True)
    out["refused"] = sign_in("nobody").get("/mihon/sample/").status_code
    out["roles"] = sorted(sorted(ROLES[r].permissions) for r in ("sample.viewer", "sample.editor"))
    out["finance"] = "sample.view" in ROLES["finance"].permissions
    out["demo_roles"] = demo_roles("clerk", [])
    out["parameter"] = registry().get("sample.greeting").default
    out["throttled"] = hasattr(app.view_functions["sample.guess"], "__wrapped__")
    with app.app_context():
        from tenant_core.demo import load_demo

        out["demo"] = list(load_demo(get_db(), get_settings()))
    print("RESULT " + json.dumps(out, ensure_ascii=False))
    """
)


def _run(tmp_path: Path, extra: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "KYODO_EXTRA_MODULES": extra,
        "PYTHONPATH": os.pathsep.join([str(EXTRA), str(PROJECT_ROOT)]),
        "KYODO_VAR_DIR": str(tmp_path),
        "KYODO_TENANTS_DIR": str(tmp_path / "no-declared-cities"),
        "KYODO_DATABASE_URL": f"sqlite:///{tmp_path / 'kyodo.db'}",
        "KYODO_ENV": "test",
        "KYODO_REDIS_URL": "",
    }
    return subprocess.run(
        [sys.executable, *args], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )


def test_a_module_joins_through_its_manifest_alone(tmp_path):
    done = _run(tmp_path, "kyodo_sample", "-c", SCRIPT)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.split("RESULT ", 1)[1])
    assert out["page"] == [200, "sample page: こんにちは"]
    assert "sample panel: こんにちは" in out["portal"] and 'data-module="sample"' in out["portal"]
    assert out["refused"] == 403
    assert out["roles"] == [["sample.approve", "sample.edit", "sample.view"], ["sample.view"]]
    assert out["finance"] is True
    assert "sample.viewer" in out["demo_roles"]
    assert out["parameter"] == "こんにちは"
    assert "sample_notes" in out["tables"]
    assert out["throttled"] is True
    assert "sample demo for " in out["demo"]


def test_a_module_adds_its_commands(tmp_path):
    done = _run(tmp_path, "kyodo_sample", "-c", "from tenant_core.cli import main; main()", "sample")
    assert done.returncode == 0, done.stderr
    assert "sample command ran" in done.stdout


def test_a_module_that_fails_to_import_stops_the_start_with_its_name(tmp_path):
    done = _run(tmp_path, "kyodo_broken", "-c", "from tenant_core.app import create_app; create_app()")
    assert done.returncode != 0
    assert "module 'broken'" in done.stderr and "a_package_that_does_not_exist" in done.stderr


def test_the_core_names_no_business_module():
    names = [info.name for info in iter_modules()]
    pattern = re.compile(r"modules\.(" + "|".join(names) + r")\b")
    offenders = [
        str(path.relative_to(PROJECT_ROOT))
        for path in (PROJECT_ROOT / "tenant_core").rglob("*")
        if path.suffix in (".py", ".html") and pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
