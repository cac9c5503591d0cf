"""Print runs: create (sort and number the subjects), find a document by 通番, pull out, summarise.

The 通番 are given once, when the run is created, in the transaction that records its documents:
the render job only reads them, so a run killed and resumed prints every 通番 once, and a document
printed again keeps its number.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from tenant_core.errors import Collector, InputError
from tenant_core.models import utcnow
from tenant_core.printing.kinds import DocumentKind, get_kind
from tenant_core.printing.models import PrintItem, PrintRun, RunState
from tenant_core.tenancy import TenantRef

INSERT_BATCH = 2000
REASON_MAX = 300
_SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class Subject:
    """One document to print, as the module hands it over: the platform keeps a copy in the run."""

    key: str  # the module's number for it (納付番号), on the 発送簿
    name: str
    postcode: str
    address: str
    address_after_town: str = ""  # for the カスタマバーコード (番地・方書)
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    total: int
    pulled: int
    boxes: int
    boxes_done: int

    @property
    def sent(self) -> int:
        return self.total - self.pulled


def run_dir(var_dir: Path, tenant: TenantRef, run_id: int) -> Path:
    """The run's folder, under its own city's folder: never another city's, whatever the id."""
    if not _SLUG.fullmatch(tenant.slug):
        raise ValueError(f"not a city slug: {tenant.slug!r}")
    return var_dir / "cities" / tenant.slug / "printing" / f"run-{int(run_id):06d}"


def create_run(
    session: Session,
    kind_code: str,
    subjects: Iterable[Subject],
    *,
    title: str,
    by: str,
    box_sheets: int,
    barcode: bool,
) -> PrintRun:
    """Record a run and its documents, sorted and numbered 1..n with their boxes; nothing is drawn yet.

    ``subjects`` may be a generator: they are written in batches and sorted by the database, so a
    run of any size is made in flat memory. An empty list is refused (``InputError``).
    """
    kind = get_kind(kind_code)
    if kind is None:
        raise InputError(_("帳票ID「%(code)s」の帳票はありません。", code=kind_code[:20]), "kind")
    if box_sheets < 1:
        raise InputError(_("1箱の枚数は1以上にしてください。"), "box_sheets")
    stream = iter(subjects)
    first = next(stream, None)
    if first is None:  # checked before anything is written: an empty run leaves no trace
        raise InputError(_("印刷する対象がありません。条件を確かめてください。"), "subjects")
    run = PrintRun(
        kind=kind.code,
        title=title[:200],
        total=0,
        box_sheets=box_sheets,
        boxes=0,
        barcode=barcode,
        created_by=by,
    )
    session.add(run)
    session.flush()
    count = 0
    batch: list[dict[str, Any]] = []
    for subject in itertools.chain([first], stream):
        count += 1
        # A provisional, negative 通番 until the database has sorted them (unique within the run).
        batch.append(_row(run.id, -count, subject))
        if len(batch) >= INSERT_BATCH:
            session.execute(sa.insert(PrintItem), batch)
            batch = []
    if batch:
        session.execute(sa.insert(PrintItem), batch)
    _number(session, run.id, kind, box_sheets)
    run.total = count
    run.boxes = (count + box_sheets - 1) // box_sheets
    session.flush()
    return run


def _row(run_id: int, seq: int, s: Subject) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "seq": seq,
        "box_no": 0,
        "key": s.key[:40],
        "name": s.name[:200],
        "postcode": s.postcode[:8],
        "address": s.address[:300],
        "address_after_town": s.address_after_town[:300],
        "payload": s.payload,
    }


def _number(session: Session, run_id: int, kind: DocumentKind, box_sheets: int) -> None:
    """Give the 通番 in the kind's order and each document its box (one sheet per document)."""
    order = (
        (PrintItem.postcode, PrintItem.address, PrintItem.key, PrintItem.id)
        if kind.sort == "postcode"
        else (PrintItem.key, PrintItem.id)
    )
    numbered = (
        sa.select(PrintItem.id.label("item_id"), sa.func.row_number().over(order_by=order).label("n"))
        .where(PrintItem.run_id == run_id)
        .subquery()
    )
    session.execute(
        sa.update(PrintItem)
        .where(PrintItem.id == numbered.c.item_id)
        .values(seq=numbered.c.n, box_no=(numbered.c.n - 1) // box_sheets + 1)
        .execution_options(synchronize_session=False)
    )


def get_run(session: Session, run_id: int) -> PrintRun | None:
    """A run of the session's city (another city's id finds nothing: its table is another schema)."""
    return session.get(PrintRun, run_id)


def runs(session: Session, kinds: Iterable[str], limit: int = 50) -> list[PrintRun]:
    query = sa.select(PrintRun).where(PrintRun.kind.in_(list(kinds))).order_by(PrintRun.id.desc())
    return list(session.scalars(query.limit(limit)))


def item_by_seq(session: Session, run: PrintRun, seq: int) -> PrintItem | None:
    return session.scalar(sa.select(PrintItem).where(PrintItem.run_id == run.id, PrintItem.seq == seq))


def position(run: PrintRun, item: PrintItem) -> int:
    """The document's place in its box, from 1 (the sheet to take out of the pile)."""
    return item.seq - (item.box_no - 1) * run.box_sheets


def box_range(run: PrintRun, box_no: int) -> tuple[int, int]:
    """The first and last 通番 in a box."""
    first = (box_no - 1) * run.box_sheets + 1
    return first, min(run.total, box_no * run.box_sheets)


def pull(session: Session, run: PrintRun, seq: int | None, reason: str, by: str) -> PrintItem:
    """引き抜き: mark the document with this 通番 as taken out of the box, with the reason."""
    reason = (reason or "").strip()
    problems = Collector()
    if seq is None or not 1 <= seq <= run.total:
        problems.add("seq", _("通番は1から%(total)sまでの数字で入力してください。", total=run.total))
    if not reason:
        problems.add("reason", _("引き抜きの理由を入力してください。"))
    elif len(reason) > REASON_MAX:
        problems.add("reason", _("引き抜きの理由は%(max)s文字以内にしてください。", max=REASON_MAX))
    problems.raise_if_any()
    item = item_by_seq(session, run, seq)  # type: ignore[arg-type]
    if item is None:
        raise InputError(_("通番%(seq)sの帳票はありません。", seq=seq), "seq")
    if item.pulled_reason is not None:
        raise InputError(_("通番%(seq)sは既に引き抜かれています。", seq=seq), "seq")
    item.pulled_reason, item.pulled_by, item.pulled_at = reason, by, utcnow()
    session.flush()
    return item


def summary(session: Session, run: PrintRun) -> Summary:
    pulled = session.scalar(
        sa.select(sa.func.count()).where(PrintItem.run_id == run.id, PrintItem.pulled_reason.is_not(None))
    )
    return Summary(total=run.total, pulled=int(pulled or 0), boxes=run.boxes, boxes_done=run.boxes_done)


def pulled_items(session: Session, run: PrintRun) -> list[PrintItem]:
    query = sa.select(PrintItem).where(PrintItem.run_id == run.id, PrintItem.pulled_reason.is_not(None))
    return list(session.scalars(query.order_by(PrintItem.seq)))


def mark_state(run: PrintRun, state: RunState) -> None:
    run.state = state
