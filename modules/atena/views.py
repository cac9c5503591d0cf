"""Pages of 共通宛名: the list of 住登外者 and 法人 of the city, and registering one."""

from __future__ import annotations

from flask import flash, g, redirect, url_for
from flask_babel import gettext as _

from modules.atena import services
from modules.atena.forms import AddresseeForm
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.errors import InputError, place_errors
from tenant_core.permissions import require
from tenant_core.views import form_status, page_renderer

_render = page_renderer({"atena": lambda n: f"{n:010d}"})


@require("atena.view")
def index():
    audit.record("view", screen="atena.index")
    return _render(
        "atena/index.html", rows=services.list_addressees(get_session()), can_edit=g.user.can("atena.edit")
    )


@require("atena.edit")
def new():
    form = AddresseeForm()
    errors: list[str] = []
    if form.validate_on_submit():
        try:
            row = services.register(
                get_session(),
                kind=form.kind.data or "",
                name=form.name.data or "",
                kana=form.kana.data or "",
                address=form.address.data or "",
                address_after_town=form.address_after_town.data or "",
                postcode=form.postcode.data or "",
                corporate_number=form.corporate_number.data or "",
                by=g.user.operator_id,
            )
        except InputError as exc:
            errors = place_errors(form, exc.errors)
        else:
            audit.record("change", screen="atena.new", target=f"atena:{row.atena_no}", detail=row.kind)
            flash(_("宛名を登録しました（宛名番号 %(no)s）。", no=f"{row.atena_no:010d}"))
            return redirect(url_for(".index"))
    return _render("atena/new.html", form_status(), form=form, errors=errors)
