"""Pages of the changes made on a person's request or to fix a mistake: 異動の取消し, 出生届, and the
住民票コード, 通称, 旧氏 and 在留 items (each a form with the version it showed)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from modules.residents import cancellation, foreign, juminhyo_code, kyuuji, services
from modules.residents.display import HELPERS, atena
from modules.residents.errors import ResidentError
from modules.residents.forms import ITEM_FIELDS, ITEM_TITLES, BirthForm, CancelForm, ItemsForm
from modules.residents.models import Citizenship, EventKind, Person
from modules.residents.mynumber import vault_for
from modules.residents.recording import current_state
from modules.residents.ui import person_or_404
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.concurrency import ConflictError, parse_version
from tenant_core.errors import place_errors
from tenant_core.permissions import require
from tenant_core.tenancy import current_tenant
from tenant_core.views import form_status, found_or_404, page_renderer

_render = page_renderer(HELPERS)


def _version(form_version: str | None, row: Person) -> int:
    """The version a posted form carried; a form without one cannot prove it is not stale."""
    version = parse_version(form_version)
    if version is None:
        raise ConflictError(current=current_state(row), target=f"atena:{row.atena_no}")
    return version


@require("residents.edit")
def cancel_event(atena_no: int, event_id: int):
    """異動の取消し: what the event changed and what will be restored, then a confirmed cancellation."""
    session = get_session()
    row = person_or_404(atena_no, "residents.cancel")
    event = found_or_404(
        cancellation.get_event(session, row, event_id),
        screen="residents.cancel",
        target=f"atena:{atena_no}",
    )
    form = CancelForm()
    if request.method == "GET":
        form.version.data = str(row.version)
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            version = _version(form.version.data, row)
            if not form.confirm.data:
                raise ResidentError(_("内容を確認のうえ、確認欄にチェックを入れてください。"), "confirm")
            cancellation.cancel(
                session, row, event_id, reason=form.reason.data, by=g.user.operator_id, version=version
            )
        except ResidentError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record(
                "change", screen="residents.cancel", target=f"atena:{atena_no}", detail=f"cancel:{event.kind}"
            )
            flash(_("異動を取り消しました。履歴には取り消した異動と取消しの両方が残ります。"))
            return redirect(url_for(".person", atena_no=atena_no))
    plan = cancellation.plan(session, event)
    names = {e.person_id: session.get_one(Person, e.person_id).full_name for e in plan.group}
    audit.record("view", screen="residents.cancel", target=f"atena:{atena_no}")
    return _render(
        "residents/cancel.html", form_status(), form=form, person=row, plan=plan, names=names, errors=errors
    )


@require("residents.edit")
def birth(household_no: int):
    """出生届: the household's address, 本籍, 筆頭者 and 氏 are shown and taken over; the form asks the rest."""
    session = get_session()
    household = found_or_404(
        services.get_household(session, household_no),
        screen="residents.birth",
        target=f"household:{household_no}",
    )
    head = services.household_head(session, household.id)
    head_row = services.get_person(session, head.atena_no) if head else None
    if head_row is None:
        abort(404)
    form = BirthForm()
    if request.method == "GET":
        form.version.data = str(head_row.version)
    errors: list[str] = []
    if form.validate_on_submit():
        data = {k: form[k].data for k in form.data if k not in ("csrf_token", "version")}
        try:
            row = services.register_birth(
                session,
                vault_for(current_tenant.slug),
                household_no,
                data,
                by=g.user.operator_id,
                version=_version(form.version.data, head_row),
            )
        except ResidentError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record("change", screen="residents.birth", target=f"atena:{row.atena_no}", detail="birth")
            flash(
                _(
                    "%(name)s さんを登録しました（宛名番号 %(atena)s）。",
                    name=f"{row.family_name} {row.given_name}",
                    atena=atena(row.atena_no),
                )
            )
            return redirect(url_for(".person", atena_no=row.atena_no))
    audit.record("view", screen="residents.birth", target=f"household:{household_no}")
    return _render(
        "residents/birth.html",
        form_status(),
        form=form,
        household=household,
        head=head_row,
        foreign_head=head_row.citizenship == Citizenship.foreign,
        errors=errors,
    )


def _apply_item(what: str, row: Person, form: ItemsForm) -> None:
    session, by, on = get_session(), g.user.operator_id, form.effective_on.data
    version = _version(form.version.data, row)
    if what in ("code", "tsusho_delete", "kyuuji_delete") and not form.confirm.data:
        raise ResidentError(_("内容を確認のうえ、確認欄にチェックを入れてください。"), "confirm")
    if what == "code":
        juminhyo_code.change_code(
            session, row, on, slug=current_tenant.slug, by=by, note=form.note.data, version=version
        )
    elif what in ("tsusho", "tsusho_delete"):
        data = {"tsusho": form.tsusho.data, "tsusho_kana": form.tsusho_kana.data}
        foreign.set_tsusho(session, row, on, data, by=by, delete=what == "tsusho_delete", version=version)
    elif what in ("kyuuji", "kyuuji_delete"):
        data = {"kyuuji": form.kyuuji.data, "kyuuji_kana": form.kyuuji_kana.data}
        kyuuji.set_kyuuji(session, row, on, data, by=by, delete=what == "kyuuji_delete", version=version)
    else:
        data = {f: form[f].data or "" for f in ITEM_FIELDS["residence"] if f != "effective_on"}
        foreign.update_residence(session, row, on, data, by=by, version=version)


def _prefill(what: str, row: Person, form: ItemsForm) -> None:
    """A change of recorded items starts from what is recorded."""
    if what == "tsusho":
        form.tsusho.data, form.tsusho_kana.data = row.tsusho or "", row.tsusho_kana or ""
    elif what == "kyuuji":
        form.kyuuji.data, form.kyuuji_kana.data = row.kyuuji or "", row.kyuuji_kana or ""
    elif what == "residence":
        form.foreign_category.data = row.foreign_category or ""
        form.residence_status.data = row.residence_status or ""
        form.residence_period.data = row.residence_period or ""
        form.residence_from.data = row.residence_from.isoformat() if row.residence_from else ""
        form.residence_until.data = row.residence_until.isoformat() if row.residence_until else ""
        form.card_number.data = row.card_number or ""


@require("residents.edit")
def items(atena_no: int, what: str):
    """住民票コードの変更請求, 通称の記載・削除, 旧氏の記載・削除, 在留資格・在留期間等の変更."""
    if what not in ITEM_FIELDS:
        abort(404)
    session = get_session()
    row = person_or_404(atena_no, "residents.items")
    form = ItemsForm()
    if request.method == "GET":
        form.version.data = str(row.version)
        _prefill(what, row, form)
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            _apply_item(what, row, form)
        except ResidentError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record("change", screen="residents.items", target=f"atena:{atena_no}", detail=what)
            flash(_("%(event)sを登録しました。", event=ITEM_TITLES[what]))
            return redirect(url_for(".person", atena_no=atena_no))
    # The 住民票コード page shows the codes the person had (住基法30条の4: a change keeps the old one on record).
    history = (
        [e for e in services.events_of(session, row) if e.kind == EventKind.code_change]
        if what == "code"
        else []
    )
    audit.record("view", screen="residents.items", target=f"atena:{atena_no}", detail=what)
    return _render(
        "residents/items.html",
        form_status(),
        form=form,
        person=row,
        what=what,
        title=ITEM_TITLES[what],
        fields=ITEM_FIELDS[what],
        history=history,
        errors=errors,
    )
