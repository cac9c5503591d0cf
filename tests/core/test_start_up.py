"""Start-up imports only what it needs: heavy libraries are imported where they are used.

Each check runs in a fresh interpreter (this process has imported everything long ago) and looks at
``sys.modules`` afterwards. Add a library to ``HEAVY`` when you bring one in: import it inside the
function that uses it (as ``tenant_core/pdf.py`` does reportlab), and this test keeps it there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tenant_core.config import PROJECT_ROOT

# Libraries that no start-up may import: documents, spreadsheets, images, calendars, migrations,
# signatures, encryption and character mapping are each needed by a few pages or commands only.
HEAVY = (
    "openpyxl",
    "reportlab",
    "pypdf",
    "pikepdf",
    "pyhanko",
    "holidays",
    "PIL",
    "lxml",
    "alembic",
    "jntajis",
    "cryptography",
)
# ``kyodo --help`` opens no database and builds no app: not even the driver, the models or the forms.
NOT_FOR_HELP = (*HEAVY, "psycopg", "sqlalchemy.orm", "pydantic", "wtforms", "marshmallow", "redis")

_PROBE = """
import json, sys
{body}
print("LOADED " + json.dumps(sorted(name for name in {names} if name in sys.modules)))
"""


def _loaded(tmp_path: Path, body: str, names: tuple[str, ...], **env: str) -> list[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KYODO_")},
        "PYTHONPATH": str(PROJECT_ROOT),
        "KYODO_ENV": "test",
        "KYODO_SECRET_KEY": "test-secret",
        "KYODO_VAR_DIR": str(tmp_path),
        "KYODO_DATABASE_URL": f"sqlite:///{tmp_path / 'kyodo.db'}",
        "KYODO_REDIS_URL": "",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROBE.format(body=body, names=repr(names))],
        env=environment,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.rsplit("LOADED ", 1)[1])


def test_kyodo_help_imports_no_heavy_library(tmp_path: Path) -> None:
    body = """
from tenant_core.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
"""
    assert _loaded(tmp_path, body, NOT_FOR_HELP) == []


def test_the_app_factory_imports_no_heavy_library(tmp_path: Path) -> None:
    body = "from tenant_core.app import create_app\ncreate_app()"
    assert _loaded(tmp_path, body, HEAVY) == []


@pytest.mark.parametrize("command", [["tenants", "list"], ["tenants", "migrate", "--all"]])
def test_a_core_command_builds_the_app_without_its_pages(tmp_path: Path, command: list[str]) -> None:
    setup = "from tenant_core.cli import main\ntry:\n    main(['init'])\nexcept SystemExit:\n    pass"
    _loaded(tmp_path, setup, HEAVY)
    body = f"""
from tenant_core.cli import main
try:
    main({command!r})
except SystemExit as exc:
    assert not exc.code, exc.code
import flask
assert not any(name.startswith("modules.") and name.endswith(".views") for name in sys.modules)
"""
    # With nothing to migrate not even Alembic: the revision files are read as text (migrate.declared_head).
    assert _loaded(tmp_path, body, HEAVY) == []


def test_the_imports_moved_into_functions_still_work(tmp_path: Path) -> None:
    body = """
from tenant_core.app import create_app
app = create_app()
from modules.seals.images import check_image
from tenant_core.params.excel import comparison_workbook
from tenant_core.migrate import head_revision
assert head_revision("tenant")
"""
    assert "alembic" in _loaded(tmp_path, body, HEAVY)


def test_migrate_with_nothing_to_do_builds_no_app(tmp_path: Path) -> None:
    """A deployment runs ``tenants migrate --all`` on every start: with nothing to do it answers from the
    settings, the revision files and one query, without the app, the modules or their models."""
    setup = "from tenant_core.cli import main\ntry:\n    main(['init'])\nexcept SystemExit:\n    pass"
    _loaded(tmp_path, setup, HEAVY)
    body = """
from tenant_core.cli import main
try:
    main(["tenants", "migrate", "--all"])
except SystemExit as exc:
    assert not exc.code, exc.code
"""
    built = (
        "tenant_core.app",
        "tenant_core.all_models",
        "modules.residents.models",
        "alembic",
        "flask_babel",
    )
    assert _loaded(tmp_path, body, built) == []
