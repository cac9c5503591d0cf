"""JSON API for other systems (the standard prefers linking by API): search, and a person by 宛名番号.

The same permissions and the same access log as the pages: every search is logged with its shape,
every read with its target and whether the 個人番号 was shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from flask import g, jsonify, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from modules.residents import services
from modules.residents.errors import ResidentError
from modules.residents.mynumber import mynumber_for, vault_for
from modules.residents.removed import REMOVED_PERMISSION
from modules.residents.schemas import PersonSchema, SearchArgsSchema, SearchRowSchema, clean_args
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.permissions import require
from tenant_core.tenancy import current_tenant

_ROWS = SearchRowSchema(many=True)
_PERSON = PersonSchema()


def _bad_request(errors: dict, status: int = 400):
    return jsonify(error="bad_request", message=_("検索条件が正しくありません。"), errors=errors), status


@require("residents.view")
def search():
    try:
        args = SearchArgsSchema().load(clean_args(request.args))
    except ValidationError as exc:
        audit.record("search", screen="residents.api.search", outcome="failed", detail="bad arguments")
        return _bad_request(exc.messages, 422)  # a term out of bounds, named
    query = services.SearchQuery(
        kana=args["kana"],
        name=args["name"],
        birth_date=args["birth_date"],
        address=args["address"],
        include_removed=args["include_removed"],
        tsusho=args["tsusho"],
        alpha=args["alpha"],
    )
    if query.include_removed and not g.user.can(REMOVED_PERMISSION):
        audit.record("search", screen="residents.api.search", outcome="refused", detail="include_removed")
        return jsonify(
            error="forbidden", message=_("除票（転出・死亡）の検索には除票を閲覧する権限が必要です。")
        ), 403
    try:
        result = services.search(get_session(), query, args["page"], args["per_page"])
    except ResidentError as exc:
        audit.record(
            "search",
            screen="residents.api.search",
            search=audit.search_shape(query.terms(), 0),
            outcome="failed",
        )
        return _bad_request(exc.errors)
    audit.record(
        "search", screen="residents.api.search", search=audit.search_shape(query.terms(), result.total)
    )
    rows = [
        {**{c.key: getattr(p, c.key) for c in p.__table__.columns}, "address": p.address} for p in result.rows
    ]
    return jsonify(
        total=result.total,
        total_is_lower_bound=result.capped,
        page=result.page,
        per_page=result.per_page,
        pages=result.pages,
        results=_ROWS.dump(rows),
    )


@require("residents.view")
def person(atena_no: int):
    """?on=YYYY-MM-DD for the state on a date; ?mynumber=1 to ask for the 個人番号 (role permitting)."""
    session = get_session()
    row = services.get_person(session, atena_no)
    if row is None:
        audit.record("view", screen="residents.api.person", target=f"atena:{atena_no}", outcome="failed")
        return jsonify(error="not_found", message=_("指定された宛名番号の方は見つかりません。")), 404
    on = None
    if request.args.get("on"):
        try:
            on = dt.date.fromisoformat(request.args["on"])
        except ValueError:
            return _bad_request({"on": [_("日付は「2001-04-01」の形で指定してください。")]})
    state = services.person_on(session, row.id, on) if on else services.PersonState.of(row)
    if state is None:
        audit.record("view", screen="residents.api.person", target=f"atena:{atena_no}")
        return jsonify(
            error="not_found", message=_("その日にはまだ住民ではありません。"), atena_no=atena_no
        ), 404
    household = services.household_of(session, state)
    if household is None:  # households are never deleted: a person's is missing only in a broken register
        raise LookupError(f"household {state.household_id} of 宛名番号 {atena_no} is missing")
    body = _PERSON.dump(
        {
            **dataclasses.asdict(state),
            "address": state.address,
            "household_no": household.household_no,
        }
    )
    shown = False
    if request.args.get("mynumber") == "1":
        number = vault_for(current_tenant.slug).decrypt(row.mynumber_token)
        body["mynumber"], shown = mynumber_for(g.user, number)
    audit.record("view", screen="residents.api.person", target=f"atena:{atena_no}", mynumber_shown=shown)
    return jsonify(person=body, on=on.isoformat() if on else None)
