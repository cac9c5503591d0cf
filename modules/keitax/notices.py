"""The 納税通知書 of 軽自動車税（種別割）, the first document kind of the printing platform.

``subjects`` hands the platform one ``Subject`` per current assessment with tax to pay (streamed in
batches); ``draw_body`` draws the notice's body under the platform's frame and address block.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.orm import Session

from modules.atena import public as atena
from modules.keitax.classes import class_label
from modules.keitax.models import Assessment, Vehicle
from tenant_core.japanese import wareki_date, wareki_year
from tenant_core.pdf import GOTHIC, MINCHO
from tenant_core.printing.kinds import DocumentKind
from tenant_core.printing.services import Subject

NOTICE = DocumentKind(
    code="KEI-001",
    module="keitax",
    label_ja="軽自動車税（種別割）納税通知書",
    label_en="Light vehicle tax notice",
    draw_body="modules.keitax.notices:draw_body",
)
BATCH = 1000
RULE_TEXT = {"standard": "", "old": "（旧税率）", "heavy": "（重課）", "green": "（軽課）", "none": ""}


def subjects(session: Session, fiscal_year: int, city_name: str) -> Iterator[Subject]:
    """One notice per current assessment of the year with tax to pay, read in batches."""
    last = 0
    while True:
        rows = session.execute(
            sa.select(Assessment, Vehicle.plate_no)
            .join(Vehicle, Vehicle.id == Assessment.vehicle_id)
            .where(
                Assessment.fiscal_year == fiscal_year,
                Assessment.current.is_(True),
                Assessment.amount > 0,
                Assessment.id > last,
            )
            .order_by(Assessment.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        people = atena.get_entries(session, [a.taxpayer_atena_no for a, _plate in rows])
        # The notice is Japanese whatever the clerk's page language; its words are fixed here, once.
        with force_locale("ja"):
            labels = {code: class_label(code) for code in {a.vehicle_class for a, _plate in rows}}
        for a, plate in rows:
            who = people.get(a.taxpayer_atena_no)
            if who is None:
                continue  # an addressee no longer readable here: the list of the run says how many
            yield Subject(
                key=a.nofu_no,
                name=who.name,
                postcode=who.postcode,
                address=who.address,
                address_after_town=who.address_after_town,
                payload={
                    "city": city_name,
                    "year": fiscal_year,
                    "atena_no": a.taxpayer_atena_no,
                    "plate": plate,
                    "class": a.vehicle_class,
                    "class_label": labels[a.vehicle_class],
                    "rule": a.rule,
                    "rate": a.rate,
                    "reduction": a.reduction,
                    "amount": a.amount,
                    "nofu_no": a.nofu_no,
                    "due_on": a.due_on.isoformat(),
                    "due_text": wareki_date(a.due_on),
                    "year_text": wareki_year(fiscal_year),
                    "correction": a.kind == "correction",
                },
            )
        last = rows[-1][0].id
        for a, _plate in rows:  # nothing of a finished batch stays in the session
            session.expunge(a)


def draw_body(canvas: Any, p: dict[str, Any], top: float) -> None:
    """The body of the notice: title, the vehicle, the tax, the 納付番号 and the 納期限."""
    mm = 72 / 25.4
    x = 20 * mm
    canvas.setFont(GOTHIC, 15)
    title = f"{p['year_text']} 軽自動車税（種別割）納税通知書"
    if p.get("correction"):
        title += "（更正）"
    canvas.drawString(x, top, title)
    canvas.setFont(MINCHO, 10)
    lines = [
        f"宛名番号　{int(p['atena_no']):010d}",
        f"標識番号　{p['plate']}",
        f"車種区分　{p['class_label']}{RULE_TEXT.get(str(p['rule']), '')}",
        f"税率（年額）　{int(p['rate']):,}円",
        f"減免額　{int(p['reduction']):,}円",
        f"納付額　{int(p['amount']):,}円",
        f"納期限　{p['due_text']}",
        f"納付番号　{p['nofu_no']}",
    ]
    text = canvas.beginText(x, top - 12 * mm)
    text.setFont(MINCHO, 10, 7 * mm)
    for line in lines:
        text.textLine(line)
    canvas.drawText(text)
    y = top - 12 * mm - len(lines) * 7 * mm
    canvas.setFont(MINCHO, 8)
    canvas.drawString(
        x,
        y - 6 * mm,
        "この税は賦課期日（4月1日）現在の軽自動車等の所有者に課税されます（地方税法第463条の15）。",
    )
    canvas.drawString(x, y - 11 * mm, f"{p['city']}長")
