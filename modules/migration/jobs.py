"""The import started from the operator's page: a job that runs ``run_import`` with a progress bar.

The page stores the uploaded files under the city's own directory, named by a random token; the job
takes the token (jobs take ids) and finds the files and the options there.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from modules.migration.importing import MigrationRefused, Options, run_import
from modules.residents.public import vault_for
from tenant_core.extensions import get_settings
from tenant_core.jobs import JobContext, job

TOKEN = re.compile(r"^[0-9a-f]{32}$")


def upload_dir(slug: str, token: str) -> Path:
    if not TOKEN.match(token):
        raise ValueError("bad upload token")
    return get_settings().var_dir / "migration" / slug / "uploads" / token


@job(idempotent=False)
def import_job(ctx: JobContext, token: str) -> dict[str, Any]:
    """Run the import of one upload for the job's city (a killed run is taken up by running it again)."""
    slug = ctx.tenant.slug
    directory = upload_dir(slug, token)
    options = json.loads((directory / "options.json").read_text(encoding="utf-8"))
    opts = Options(
        persons=directory / "persons.csv",
        by=options["by"],
        seals=directory / "seals.csv" if (directory / "seals.csv").exists() else None,
        images=directory / "images.zip" if (directory / "images.zip").exists() else None,
        encoding=options.get("encoding") or None,
        dry_run=bool(options.get("dry_run")),
        accept_partial=bool(options.get("accept_partial")),
        cutover=bool(options.get("cutover")),
        override_reason=options.get("override_reason", ""),
        control={k: int(v) for k, v in options.get("control", {}).items()},
        report_dir=directory / "report",
        file_name=options.get("file_name", ""),
    )
    ctx.session.close()  # the import commits batch by batch in sessions of its own
    try:
        outcome = run_import(ctx._db(), slug, vault_for(slug), opts, progress=ctx.progress)
    except MigrationRefused as exc:
        return {"refused": str(exc)}
    return {
        "run": outcome.run_id,
        "errors": len(outcome.problems),
        "applied": outcome.applied,
        "added": outcome.added,
        "corrected": outcome.corrected,
        "rows_valid": outcome.summary.get("rows_valid", 0),
    }
