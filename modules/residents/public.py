"""What other modules may use of the resident register; they import this module, never its others.

Other modules name a person by the 宛名番号 and read them only through the functions here: they
never build queries on the register's tables, so the register may change its storage freely.
``Person`` and ``Household`` are exported for type annotations and for reading attributes
(``full_name``, ``address``, ``household_id``, ``status``...), not for querying.

Services (a ``Session`` bound to the city):
  ``parse_atena`` (text to 宛名番号), ``get_person`` (None when absent), ``require_person`` (``PersonNotFound`` when absent),
  ``get_persons`` (several at once, one query), ``is_resident``, ``household_of``,
  ``household_head``, ``household_members``, ``events_of``, ``search``;
  ``lock_person`` (a module recording something that depends on the person's state, such as a seal
  registration, takes its turn on the person's row and sees what was committed before it);
  ``protection_check`` (支援措置・抑止: whether a certificate may be issued to this requester; a
  refusal is logged). A person under 支援措置 or 抑止 is absent from every reader here for a user
  without ``PROTECT_VIEW``, exactly as an unknown number; shown to one with it, the access is logged
  with the flag ``protected:<kind>`` and the page carries a banner.
Printing on request: ``juminhyo_code_of`` and ``kyuuji_of`` (a 住民票 prints the 住民票コード and the
旧氏 only when the applicant asks for them), ``foreign_items_of`` (the 外国人住民's items of 住基法30条の45).
Events: ``on_person_left(listener)`` registers ``listener(session, PersonLeft)``, called in the
transaction of every 転出 and 死亡 (a module whose records end with the residence, such as a seal
registration, ends them there; an exception makes the event fail). Register it at start-up
(the manifest's ``startup``), never per request.
転出届 (read only): ``pending_move_out`` (the person's 転出予定 not yet confirmed or cancelled, so a
転出証明書 can be issued at the visit of the 届出), ``move_out_notice`` (one notice by id, to show its
state later: a notice cancelled after its certificate was issued), both as ``MoveOutInfo``.
Field-level: the 個人番号 through ``Vault``/``vault_for``, shown per ``mynumber_for``.
Migration (移行) and hand-over, in bulk (exchange.py): ``Incoming``, ``apply_incoming`` (one batch of
persons keyed by 宛名番号: new ones with the history the file implies, changed ones corrected once;
``ensure_households`` and ``settle_heads`` for a caller that applies batches side by side),
``advance_counters``, ``Outgoing``, ``iter_register`` (every person, now or on a date), and the checks
a file's rows need (``valid_juminhyo_code``, ``valid_mynumber``, ``is_katakana``, ``normalize_kana``,
``FOREIGN_CATEGORIES``, ``ITEM_FIELDS``, the ``STATUS_*`` values).
Pages: ``SearchForm`` with the ``search_form`` macro of ``SEARCH_FORM_TEMPLATE``,
``search_from_form``, ``search_asked``, ``person_or_404``, and the display helpers ``HELPERS``
(``wareki``, ``atena``, ``sex_label``, ``status_label``...) for ``tenant_core.views.page_renderer``.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from modules.residents.departures import PersonLeft, on_person_left
from modules.residents.display import HELPERS, age_on, sex_label, status_label, wareki
from modules.residents.errors import ResidentError
from modules.residents.exchange import (
    FOREIGN_CATEGORIES,
    HEAD_RELATIONSHIP,
    ITEM_FIELDS,
    MID_LONG_CATEGORY,
    RELATIONSHIPS,
    STATUS_DECEASED,
    STATUS_MOVED_OUT,
    STATUS_RESIDENT,
    Applied,
    Incoming,
    Outgoing,
    advance_counters,
    among,
    apply_incoming,
    ensure_households,
    insert_rows,
    is_katakana,
    iter_register,
    normalize_kana,
    settle_heads,
    valid_juminhyo_code,
    valid_mynumber,
)
from modules.residents.foreign import ITEMS
from modules.residents.forms import SearchForm
from modules.residents.history import PersonState
from modules.residents.lookups import (
    events_of,
    get_person,
    get_persons,
    household_head,
    household_members,
    household_of,
    is_resident,
    parse_atena,
)
from modules.residents.models import Household, Person
from modules.residents.moveouts import MoveOutInfo, move_out_info, pending_for
from modules.residents.mynumber import MYNUMBER_PERMISSION, Vault, mynumber_for, vault_for
from modules.residents.protection import PROTECT_VIEW, Verdict, visible_clause
from modules.residents.protection import protection_check as _protection_check
from modules.residents.search import SearchQuery, SearchResult, search
from modules.residents.ui import (
    SEARCH_FORM_TEMPLATE,
    SEARCH_KEYS,
    person_or_404,
    search_asked,
    search_from_form,
)
from tenant_core.concurrency import lock_rows

__all__ = [
    "FOREIGN_CATEGORIES",
    "HEAD_RELATIONSHIP",
    "HELPERS",
    "ITEM_FIELDS",
    "MID_LONG_CATEGORY",
    "MYNUMBER_PERMISSION",
    "PROTECT_VIEW",
    "RELATIONSHIPS",
    "SEARCH_FORM_TEMPLATE",
    "SEARCH_KEYS",
    "STATUS_DECEASED",
    "STATUS_MOVED_OUT",
    "STATUS_RESIDENT",
    "Applied",
    "Household",
    "Incoming",
    "MoveOutInfo",
    "Outgoing",
    "Person",
    "PersonLeft",
    "PersonNotFound",
    "PersonState",
    "ResidentError",
    "SearchForm",
    "SearchQuery",
    "SearchResult",
    "Vault",
    "Verdict",
    "advance_counters",
    "age_on",
    "among",
    "apply_incoming",
    "ensure_households",
    "events_of",
    "foreign_items_of",
    "get_person",
    "get_persons",
    "household_head",
    "household_members",
    "household_of",
    "insert_rows",
    "is_katakana",
    "is_resident",
    "iter_register",
    "juminhyo_code_of",
    "kyuuji_of",
    "lock_person",
    "move_out_notice",
    "mynumber_for",
    "normalize_kana",
    "on_person_left",
    "parse_atena",
    "pending_move_out",
    "person_or_404",
    "protection_check",
    "require_person",
    "search",
    "search_asked",
    "search_from_form",
    "settle_heads",
    "sex_label",
    "status_label",
    "valid_juminhyo_code",
    "valid_mynumber",
    "vault_for",
    "visible_clause",
    "wareki",
]


class PersonNotFound(LookupError):
    """No person with this 宛名番号 in the session's city (perhaps another city's number).

    Callers answer as if the number did not exist and log a refusal; the message says no more.
    """

    def __init__(self, atena_no: int | None) -> None:
        self.atena_no = atena_no
        super().__init__(f"no person with atena_no {atena_no} in this city")


def juminhyo_code_of(person: Person | PersonState) -> str | None:
    """The 住民票コード, to print only when the request asks for it."""
    return person.juminhyo_code


def kyuuji_of(person: Person | PersonState) -> tuple[str, str] | None:
    """The 旧氏 and its カナ of a 日本人住民, to print only when the request asks for it."""
    return (person.kyuuji, person.kyuuji_kana or "") if person.kyuuji else None


def foreign_items_of(person: Person | PersonState) -> dict[str, object] | None:
    """A 外国人住民's items (国籍・地域, 区分, 在留資格, 在留期間, 満了日, 在留カード等番号, アルファベット氏名, 通称)."""
    if person.citizenship != "foreign":
        return None
    return {f: getattr(person, f) for f in ITEMS}


def require_person(session: Session, atena_no: int | None) -> Person:
    """The person with this 宛名番号 in the session's city; ``PersonNotFound`` when there is none."""
    person = get_person(session, atena_no)
    if person is None:
        raise PersonNotFound(atena_no)
    return person


def lock_person(session: Session, person: Person) -> Person:
    """Lock the person's row until the transaction ends and reload it (its status may have changed).

    Changes of the register lock the household first, then its persons; a caller locking only the
    person, and nothing of the register before it, cannot wait in a circle with them.
    """
    lock_rows(session, Person, [person.id])
    return person


def pending_move_out(session: Session, person: Person) -> MoveOutInfo | None:
    """The person's 転出届 with a 転出予定日 still to come (or not yet confirmed), None when there is none."""
    notice = pending_for(session, person)
    return move_out_info(session, notice) if notice is not None else None


def move_out_notice(session: Session, notice_id: int) -> MoveOutInfo | None:
    """One 転出届 of the session's city by its id (any state), None when there is none."""
    from modules.residents.moveout_models import MoveOutNotice

    notice = session.get(MoveOutNotice, notice_id)
    return move_out_info(session, notice) if notice is not None else None


def protection_check(
    session: Session,
    atena_no: int,
    requester_name: str,
    *,
    relation: str = "",
    purpose: str = "",
    requester_city_code: str | None = None,
    requester_atena_no: int | None = None,
) -> Verdict:
    """Whether a certificate of this person may be issued to this requester (支援措置・抑止).

    A refusal is logged here (``outcome="refused"``, detail ``protected:<kind>`` and ``offender`` for
    a 加害者's request) so that every module issuing for a person leaves the same trace.
    """
    verdict = _protection_check(
        session,
        atena_no,
        requester_name,
        relation=relation,
        purpose=purpose,
        requester_city_code=requester_city_code,
        requester_atena_no=requester_atena_no,
    )
    if not verdict.allowed:
        from tenant_core.audit import services as audit

        audit.record(
            "change",
            target=f"atena:{atena_no}",
            outcome="refused",
            detail=f"protected:{verdict.kind} " + ("offender request" if verdict.offender else verdict.field),
        )
    return verdict
