"""Serving a package: the same application on the package's SQLite files, in emergency mode."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

from flask import Flask

from tenant_core.bcp.package import MAIN, open_package, seal_package
from tenant_core.config import Settings, load_settings, replaced


def emergency_settings(base: Settings, run_dir: Path, manifest: dict[str, Any]) -> Settings:
    return replaced(
        base,
        database_url=f"sqlite:///{run_dir / MAIN}",
        var_dir=run_dir,
        redis_url=None,
        emergency=True,
        emergency_as_of=dt.date.fromisoformat(manifest["as_of"]),
        demo=False,
        db_pool_size=5,
    )


def emergency_app(
    package: Path, key: bytes, run_dir: Path, secret_key: str | None = None, base: Settings | None = None
) -> Flask:
    """Decrypt ``package`` into ``run_dir`` and build the app on it (emergency mode)."""
    from tenant_core.app import create_app

    manifest = open_package(package, key, run_dir)
    settings = base or load_settings()
    if secret_key:
        settings = replaced(settings, secret_key=secret_key)
    app = create_app(emergency_settings(settings, run_dir, manifest))
    app.extensions["kyodo.bcp_manifest"] = manifest
    return app


def close(app: Flask, package: Path, key: bytes, run_dir: Path) -> None:
    """Write what was recorded back into the encrypted package and remove the decrypted files."""
    from tenant_core.extensions import get_db

    get_db(app).engine.dispose()
    seal_package(run_dir, package, key)
    shutil.rmtree(run_dir, ignore_errors=True)
