"""Pages of print runs: the list, a run's progress and boxes, the 発送簿, 引き抜き and a re-print.

A run is shown only to staff who may see the module that made it (the kind's module), and only in
that run's city: the run is read from the city's own schema, its files from the city's own folder.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, flash, g, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.errors import InputError, place_errors
from tenant_core.extensions import get_settings
from tenant_core.i18n import request_lang
from tenant_core.models import JobRecord
from tenant_core.params.services import param
from tenant_core.permissions import require
from tenant_core.printing import render, services
from tenant_core.printing.forms import FindForm, PullForm
from tenant_core.printing.kinds import DocumentKind, all_kinds
from tenant_core.printing.models import PrintRun
from tenant_core.views import page_renderer

_render = page_renderer()


def _visible_kinds() -> dict[str, DocumentKind]:
    enabled = set(param("core.modules_enabled"))
    return {
        code: kind
        for code, kind in all_kinds().items()
        if kind.module in enabled and g.user.can(f"{kind.module}.view")
    }


def _run_or_404(run_id: int, screen: str, *, edit: bool = False) -> tuple[PrintRun, DocumentKind]:
    run = services.get_run(get_session(), run_id)
    kind = _visible_kinds().get(run.kind) if run is not None else None
    if run is None or kind is None or (edit and not g.user.can(f"{kind.module}.edit")):
        audit.record(
            "view", screen=screen, target=f"print_run:{run_id}", outcome="refused", detail="no such run"
        )
        abort(404)
    return run, kind


def _folder(run: PrintRun):
    return services.run_dir(get_settings().var_dir, g.tenant, run.id)


def _job(run: PrintRun) -> JobRecord | None:
    if not run.job_id:
        return None
    job = get_session().get(JobRecord, run.job_id)
    return job if job is not None and job.tenant_id == g.tenant.id else None


@require("printing.view")
def index():
    kinds = _visible_kinds()
    rows = services.runs(get_session(), kinds)
    audit.record("view", screen="printing.index")
    return _render("printing/index.html", runs=rows, kinds=kinds, lang=request_lang())


def _run_page(run: PrintRun, kind: DocumentKind, form: PullForm, errors: list[str], status: int = 200):
    session = get_session()
    find = FindForm(request.args)
    found = None
    if find.seq.data and find.validate():
        found = services.item_by_seq(session, run, find.seq.data)
        if found is None:
            errors.append(_("通番%(seq)sの帳票はありません。", seq=find.seq.data))
    boxes = [(n, *services.box_range(run, n)) for n in range(1, run.boxes + 1)]
    folder = _folder(run)
    ready = {n for n, _a, _b in boxes if render.box_file(folder, n).exists()}
    return _render(
        "printing/run.html",
        status,
        run=run,
        kind=kind,
        lang=request_lang(),
        job=_job(run),
        summary=services.summary(session, run),
        boxes=boxes,
        ready=ready,
        register_ready=all(p.exists() for p in render.register_files(folder)),
        pulled=services.pulled_items(session, run),
        form=form,
        find=find,
        found=found,
        position=services.position(run, found) if found is not None else None,
        errors=errors,
        can_edit=g.user.can(f"{kind.module}.edit"),
    )


@require("printing.view")
def run(run_id: int):
    run, kind = _run_or_404(run_id, "printing.run")
    audit.record("view", screen="printing.run", target=f"print_run:{run.id}")
    return _run_page(run, kind, PullForm(), [])


@require("printing.view")
def progress(run_id: int):
    """The run's progress as JSON, in the shape the pages' job poller reads (kyodo.js)."""
    run, _kind = _run_or_404(run_id, "printing.progress")
    job = _job(run)
    done = run.state == "done"
    return jsonify(
        state="finished" if done else (str(job.state) if job else "queued"),
        progress=100 if done else run.boxes_done * 99 // max(run.boxes, 1),
        message=_("%(done)s/%(total)s箱", done=run.boxes_done, total=run.boxes),
        run_state=run.state,
        boxes=run.boxes,
        boxes_done=run.boxes_done,
    )


def _file(path, mimetype: str, filename: str) -> Response:
    if not path.exists():
        abort(404)

    def chunks():
        with path.open("rb") as f:
            while block := f.read(256 * 1024):
                yield block

    return Response(
        chunks(),
        mimetype=mimetype,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
            "Content-Length": str(path.stat().st_size),
            "Cache-Control": "no-store, private",
        },
    )


@require("printing.view")
def box(run_id: int, box_no: int):
    run, _kind = _run_or_404(run_id, "printing.box")
    if not 1 <= box_no <= run.boxes:
        abort(404)
    audit.record(
        "print", screen="printing.box", target=f"print_run:{run.id}", detail=f"box {box_no}/{run.boxes}"
    )
    return _file(
        render.box_file(_folder(run), box_no), "application/pdf", f"{run.kind}-{run.id}-{box_no:03d}.pdf"
    )


@require("printing.view")
def register(run_id: int, fmt: str):
    run, _kind = _run_or_404(run_id, "printing.register")
    xlsx, pdf = render.register_files(_folder(run))
    if fmt not in ("xlsx", "pdf"):
        abort(404)
    audit.record("export", screen="printing.register", target=f"print_run:{run.id}", detail=f"発送簿 {fmt}")
    if fmt == "xlsx":
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return _file(xlsx, mime, f"発送簿-{run.kind}-{run.id}.xlsx")
    return _file(pdf, "application/pdf", f"発送簿-{run.kind}-{run.id}.pdf")


@require("printing.operate")
def pull(run_id: int):
    run, kind = _run_or_404(run_id, "printing.pull", edit=True)
    form = PullForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            item = services.pull(
                get_session(), run, form.seq.data, form.reason.data or "", g.user.operator_id
            )
        except InputError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record(
                "change", screen="printing.pull", target=f"print_run:{run.id}", detail=f"pulled {item.seq}"
            )
            flash(_("通番%(seq)sを引き抜きました。", seq=item.seq))
            return redirect(url_for(".run", run_id=run.id))
    return _run_page(run, kind, form, errors, 422)


@require("printing.operate")
def reprint(run_id: int, seq: int):
    """One document printed again, with its own 通番 (the box is not drawn again)."""
    run, kind = _run_or_404(run_id, "printing.reprint", edit=True)
    item = services.item_by_seq(get_session(), run, seq)
    if item is None:
        abort(404)
    item.reprints += 1
    audit.record("print", screen="printing.reprint", target=f"print_run:{run.id}", detail=f"reprint {seq}")
    body = render.reprint(run, kind, item, _folder(run))
    return Response(
        body,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(f'{run.kind}-{run.id}-{seq}.pdf')}"
        },
    )
