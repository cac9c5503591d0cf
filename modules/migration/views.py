"""Pages of the data migration: runs and criteria, the upload that starts an import job, the 外字 table."""

from __future__ import annotations

import json
import secrets

from flask import Response, flash, g, redirect, url_for
from flask_babel import gettext as _

from modules.migration import gaiji, rehearsals
from modules.migration.forms import GaijiForm, GaijiImportForm, UploadForm
from modules.migration.jobs import import_job, upload_dir
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.inputs import printable
from tenant_core.jobs import enqueue
from tenant_core.permissions import require
from tenant_core.tenancy import current_tenant
from tenant_core.views import page_renderer

_render = page_renderer()
UPLOAD_MAX = 512 * 1024 * 1024  # a city of 250,000 people is about 50 MB in cp932, plus the seal images


@require("migration.view")
def index():
    session = get_session()
    last = rehearsals.last_rehearsal(session)
    audit.record("view", screen="migration.index")
    return _render(
        "migration/index.html",
        runs=rehearsals.runs(session),
        last=last,
        criteria=rehearsals.criteria(last) if last else [],
        form=UploadForm(),
    )


@require("migration.edit")
def upload():
    form = UploadForm()
    if not form.validate_on_submit() or not form.persons.data:
        if form.is_submitted() and not form.persons.data:
            form.persons.errors = [*form.persons.errors, _("住民ファイルを選択してください。")]
        session = get_session()
        last = rehearsals.last_rehearsal(session)
        return _render(
            "migration/index.html",
            422,
            runs=rehearsals.runs(session),
            last=last,
            criteria=rehearsals.criteria(last) if last else [],
            form=form,
        )
    token = secrets.token_hex(16)
    directory = upload_dir(current_tenant.slug, token)
    directory.mkdir(parents=True)
    for field, name in (
        (form.persons, "persons.csv"),
        (form.seals, "seals.csv"),
        (form.images, "images.zip"),
    ):
        if field.data:
            field.data.save(directory / name)
    control = {
        k: v
        for k, v in (
            ("persons", form.control_persons.data),
            ("households", form.control_households.data),
            ("seals", form.control_seals.data),
        )
        if v is not None
    }
    options = {
        "file_name": printable(form.persons.data.filename or "", 200),
        "by": g.user.operator_id,
        "encoding": form.encoding.data,
        "dry_run": form.dry_run.data,
        "accept_partial": form.accept_partial.data,
        "cutover": form.cutover.data,
        "override_reason": form.override_reason.data or "",
        "control": control,
    }
    (directory / "options.json").write_text(json.dumps(options, ensure_ascii=False), encoding="utf-8")
    job_id = enqueue(
        import_job, token, tenant=current_tenant, title="データ移行 / data migration", timeout=3600
    )
    audit.record(
        "change", screen="migration.upload", target=f"job:{job_id}", detail="migration import queued"
    )
    flash(_("移行ジョブを登録しました。進捗はジョブ一覧で確認できます。"))
    return redirect(url_for("portal.jobs"))


def _gaiji_page(form: GaijiForm, import_form: GaijiImportForm, status: int = 200):
    return _render(
        "migration/gaiji.html",
        status,
        entries=gaiji.entries(get_session()),
        form=form,
        import_form=import_form,
    )


@require("migration.edit")
def gaiji_table():
    form, import_form = GaijiForm(), GaijiImportForm()
    if form.validate_on_submit():
        try:
            glyph = form.glyph.data.read() if form.glyph.data else None
            if glyph is not None and not glyph.startswith(b"\x89PNG\r\n\x1a\n"):
                raise gaiji.GaijiError(_("字形画像は PNG にしてください。"))
            code = gaiji.parse_code_point(form.code.data or "")
            gaiji.set_entry(
                get_session(), code, form.text.data or "", form.note.data or "", g.user.operator_id, glyph
            )
        except gaiji.GaijiError as exc:
            form.code.errors = [*form.code.errors, str(exc)]
            return _gaiji_page(form, import_form, 422)
        audit.record("change", screen="migration.gaiji", target=f"gaiji:U+{code:04X}")
        flash(_("外字を登録しました。"))
        return redirect(url_for(".gaiji_table"))
    audit.record("view", screen="migration.gaiji")
    return _gaiji_page(form, import_form, 422 if form.errors else 200)


@require("migration.edit")
def gaiji_import():
    form, import_form = GaijiForm(), GaijiImportForm()
    if not import_form.validate_on_submit() or not import_form.file.data:
        import_form.file.errors = [_("CSVファイルを選択してください。")]
        return _gaiji_page(form, import_form, 422)
    count, problems = gaiji.import_csv(get_session(), import_form.file.data.read(), g.user.operator_id)
    if problems:
        import_form.file.errors = problems[:50]
        return _gaiji_page(form, import_form, 422)
    audit.record("change", screen="migration.gaiji_import", detail=f"{count} entries")
    flash(_("外字を %(n)s 件登録しました。", n=count))
    return redirect(url_for(".gaiji_table"))


@require("migration.view")
def gaiji_csv():
    audit.record("export", screen="migration.gaiji_csv")
    body = gaiji.export_csv(get_session())
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=gaiji.csv"},
    )
