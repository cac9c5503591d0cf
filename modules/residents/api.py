"""JSON API for other systems (the standard prefers linking by API): search, a person by 宛名番号, a
household by 世帯番号, and the persons changed since a moment (for systems that synchronise).

The same permissions and the same access log as the pages: every search is logged with its shape,
every read with its target and whether the 個人番号 was shown.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt

import sqlalchemy as sa
from flask import g, jsonify, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from modules.residents import lookups, services
from modules.residents.errors import ResidentError
from modules.residents.models import Household, Status
from modules.residents.mynumber import mynumber_for, vault_for
from modules.residents.removed import REMOVED_PERMISSION
from modules.residents.schemas import (
    ChangesArgsSchema,
    ChangesResultSchema,
    HouseholdResultSchema,
    PersonSchema,
    SearchArgsSchema,
    SearchRowSchema,
    clean_args,
)
from tenant_core.audit import services as audit
from tenant_core.boundary import get_session
from tenant_core.inputs import INT_MAX
from tenant_core.permissions import require
from tenant_core.tenancy import current_tenant

_ROWS = SearchRowSchema(many=True)
_PERSON = PersonSchema()
_CHANGES = ChangesResultSchema()
_HOUSEHOLD = HouseholdResultSchema()


def _bad_request(errors: dict, status: int = 400):
    # Messages by field, always a list per field as the Error schema says (a ResidentError has one each).
    listed = {k: [str(m) for m in v] if isinstance(v, list) else [str(v)] for k, v in errors.items()}
    return jsonify(error="bad_request", message=_("検索条件が正しくありません。"), errors=listed), status


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


def _person_data(state: services.PersonState, household_no: int) -> dict:
    return {**dataclasses.asdict(state), "address": state.address, "household_no": household_no}


def _person_body(state: services.PersonState, household_no: int) -> dict:
    return _PERSON.dump(_person_data(state, household_no))


@require("residents.view")
def household(household_no: int):
    """The members of a household (head first), now or on ``?on=YYYY-MM-DD``; persons under a
    measure are left out for a caller who may not see them, as in every reading of the register."""
    session = get_session()
    on = None
    if request.args.get("on"):
        try:
            on = dt.date.fromisoformat(request.args["on"])
        except ValueError:
            return _bad_request({"on": [_("日付は「2001-04-01」の形で指定してください。")]})
    row = lookups.get_household(session, household_no)
    members = lookups.household_members(session, row.id, on) if row is not None else []
    target = f"household:{household_no}"
    if row is None or not members:  # no household, or nobody in it the caller may see: the same answer
        audit.record("view", screen="residents.api.household", target=target, outcome="failed")
        return jsonify(error="not_found", message=_("指定された世帯番号の世帯は見つかりません。")), 404
    audit.record("view", screen="residents.api.household", target=target)
    head = next((m.atena_no for m in members if m.is_head), None)
    body = {
        "household_no": household_no,
        "head_atena_no": head,
        "members": [_person_data(m, household_no) for m in members],
    }
    return jsonify(_HOUSEHOLD.dump({"household": body, "on": on}))


# A cursor is the position of the last person read: when it changed (UTC, microseconds) and its 宛名番号.
# Opaque to clients, and it names nothing they could not read already.
def _encode_cursor(moment: dt.datetime, atena_no: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{atena_no}".encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> tuple[dt.datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        moment, atena = raw.split("|")
        at, number = dt.datetime.fromisoformat(moment), int(atena)
    except (ValueError, UnicodeDecodeError):
        return None
    return (at, number) if at.tzinfo is None and 0 < number <= INT_MAX else None


@require("residents.view")
def changes():
    """Persons changed since a moment, for systems that keep a copy: page after page by cursor.

    A 除票 appears with its status and no details unless the caller may read 除票; persons under a
    measure never appear for a caller who may not see them (they are absent, as from the search).
    """
    try:
        args = ChangesArgsSchema().load(clean_args(request.args))
    except ValidationError as exc:
        audit.record("search", screen="residents.api.changes", outcome="failed", detail="bad arguments")
        return _bad_request(exc.messages, 422)
    after: int | None = None
    if args["cursor"]:
        position = _decode_cursor(args["cursor"])
        if position is None:
            audit.record("search", screen="residents.api.changes", outcome="failed", detail="bad cursor")
            return _bad_request({"cursor": [_("続きの位置（cursor）が正しくありません。")]}, 422)
        since, after = position
    elif args["since"] is not None:
        since = args["since"].astimezone(dt.UTC).replace(tzinfo=None)  # stored as naive UTC
    else:
        return _bad_request({"since": [_("since（日時）か cursor のどちらかを指定してください。")]}, 422)
    session = get_session()
    rows, more = lookups.changed_since(session, since, after, args["limit"])
    households = {
        h.id: h.household_no
        for h in session.scalars(sa.select(Household).where(Household.id.in_({p.household_id for p in rows})))
    }
    sees_removed = g.user.can(REMOVED_PERMISSION)
    entries = []
    for p in rows:
        shown = p.status == Status.resident or sees_removed
        entries.append(
            {
                "atena_no": p.atena_no,
                "updated_at": p.updated_at,
                "status": p.status,
                "person": _person_data(services.PersonState.of(p), households[p.household_id])
                if shown
                else None,
            }
        )
    audit.record(
        "search",
        screen="residents.api.changes",
        search=audit.search_shape({"since": since.isoformat(), "cursor": args["cursor"]}, len(rows)),
    )
    if rows:
        next_cursor: str | None = _encode_cursor(rows[-1].updated_at, rows[-1].atena_no)
    else:
        next_cursor = args["cursor"]
    return jsonify(_CHANGES.dump({"changes": entries, "next_cursor": next_cursor, "has_more": more}))
