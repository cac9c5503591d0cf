"""Pages of the 転出届: the notice (a 転出予定日 in the future allowed), its confirmation and its cancellation."""

from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from modules.residents import moveouts
from modules.residents.display import HELPERS
from modules.residents.errors import ResidentError
from modules.residents.moveout_models import MoveOutNotice
from modules.residents.recording import current_state
from modules.residents.ui import person_or_404
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.concurrency import ConflictError, parse_version
from tenant_core.errors import place_errors
from tenant_core.inputs import KyodoForm, WarekiDateField
from tenant_core.permissions import require
from tenant_core.views import form_status, found_or_404, page_renderer

_render = page_renderer(HELPERS)


class MoveOutForm(KyodoForm):
    """転出届 (住民基本台帳法第24条: 氏名, 転出先, 転出の予定年月日)."""

    planned_on = WarekiDateField(_l("転出予定日（未来の日付も可）"))
    destination = StringField(_l("転出先の住所"), validators=[Length(max=200)])
    destination_city = StringField(_l("転出先市区町村（分かる場合）"), validators=[Length(max=100)])
    special = BooleanField(_l("特例転出（マイナンバーカードによる転出）"))
    whole_household = BooleanField(_l("世帯全員が転出する"))
    confirm = BooleanField(_l("内容を確認しました"))
    version = HiddenField()


class DecideForm(KyodoForm):
    """転出の確定（転出日）または取消し（理由）: one small form on the person's page."""

    moved_on = WarekiDateField(_l("転出日（空欄なら転出予定日）"))
    cancel_reason = TextAreaField(_l("取消しの理由"), validators=[Length(max=300)])
    version = HiddenField()


def _version(form: KyodoForm, row) -> int:
    # A form always carries the version it showed; one without it cannot prove it is not stale.
    version = parse_version(form.version.data)
    if version is None:
        raise ConflictError(current=current_state(row), target=f"atena:{row.atena_no}")
    return version


@require("residents.edit")
def move_out_notice(atena_no: int):
    """転出届の受付: a future 転出予定日 keeps the person a resident until that day."""
    row = person_or_404(atena_no, "residents.move_out")
    form = MoveOutForm()
    if request.method == "GET":
        form.version.data = str(row.version)
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            if not form.confirm.data:
                raise ResidentError(_("内容を確認のうえ、確認欄にチェックを入れてください。"), "confirm")
            notices = moveouts.file_move_out(
                get_session(),
                row,
                {
                    "planned_on": form.planned_on.data,
                    "destination": form.destination.data,
                    "destination_city": form.destination_city.data,
                    "special": form.special.data,
                },
                by=g.user.operator_id,
                whole_household=form.whole_household.data,
                version=_version(form, row),
            )
        except ResidentError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record(
                "change", screen="residents.move_out", target=f"atena:{atena_no}", detail="move_out_notice"
            )
            if notices[0].state == "pending":
                flash(
                    _(
                        "転出届を受け付けました（転出予定日 %(day)s まで住民です）。",
                        day=notices[0].planned_on.isoformat(),
                    )
                )
            else:
                flash(_("転出を登録しました。"))
            return redirect(url_for(".person", atena_no=atena_no))
    return _render("residents/move_out.html", form_status(), form=form, person=row, errors=errors)


def _notice(atena_no: int, notice_id: int):
    row = person_or_404(atena_no, "residents.move_out")
    notice = get_session().get(MoveOutNotice, notice_id)
    mine = notice if notice is not None and notice.person_id == row.id else None
    return row, found_or_404(mine, screen="residents.move_out", target=f"atena:{atena_no}")


@require("residents.edit")
def confirm_move_out(atena_no: int, notice_id: int):
    """転出確定: on or after the 転出予定日."""
    row, notice = _notice(atena_no, notice_id)
    form = DecideForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        moveouts.confirm_move_out(
            get_session(),
            notice,
            by=g.user.operator_id,
            moved_on=form.moved_on.data,
            version=_version(form, row),
        )
    except ResidentError as exc:
        return _refused(row, exc)
    audit.record(
        "change", screen="residents.move_out", target=f"atena:{atena_no}", detail="move_out_confirmed"
    )
    flash(_("転出を確定しました。"))
    return redirect(url_for(".person", atena_no=atena_no))


@require("residents.edit")
def cancel_move_out(atena_no: int, notice_id: int):
    """転出取消し: the move does not happen."""
    row, notice = _notice(atena_no, notice_id)
    form = DecideForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        moveouts.cancel_move_out(
            get_session(),
            notice,
            reason=form.cancel_reason.data,
            by=g.user.operator_id,
            version=_version(form, row),
        )
    except ResidentError as exc:
        return _refused(row, exc)
    audit.record(
        "change", screen="residents.move_out", target=f"atena:{atena_no}", detail="move_out_cancelled"
    )
    flash(_("転出届を取り消しました。"))
    return redirect(url_for(".person", atena_no=atena_no))


def _refused(row, exc: ResidentError):
    return _render("residents/move_out_refused.html", 422, person=row, errors=list(exc.errors.values()))
