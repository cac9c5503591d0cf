"""Drawing a print run: the frame of every sheet, the box files and the 発送簿, page by page.

Pages are drawn straight on a reportlab canvas and written box by box: a box file holds at most N
sheets, and the documents are read from the database in batches, so memory stays the size of one
box whatever the run's size. The fonts and their registration come from ``tenant_core.pdf``.

Every sheet carries, in Latin letters a machine can read back, its 帳票ID, 通番, 箱番号 (``1/15``)
and the box's range, at the top and in the footer; the address block sits where a window envelope
shows it, with the カスタマバーコード under it when the city prints it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tenant_core import exports
from tenant_core.pdf import GOTHIC, MINCHO, register_fonts
from tenant_core.printing import barcode
from tenant_core.printing.kinds import DocumentKind
from tenant_core.printing.models import PrintItem, PrintRun
from tenant_core.printing.services import box_range, position

READ_BATCH = 500
MACHINE_FONT = "Helvetica"  # the machine-readable line: a standard font, read back by any PDF tool
REGISTER_ROWS_PER_PAGE = 45


def box_file(folder: Path, box_no: int) -> Path:
    return folder / f"box-{box_no:03d}.pdf"


def register_files(folder: Path) -> tuple[Path, Path]:
    """The 発送簿 as Excel and as PDF."""
    return folder / "hassobo.xlsx", folder / "hassobo.pdf"


def items(session: Session, run: PrintRun, box_no: int | None = None) -> Iterator[PrintItem]:
    """The run's documents in 通番 order, read in batches (keyset paging: no growing OFFSET)."""
    last = 0
    while True:
        query = sa.select(PrintItem).where(PrintItem.run_id == run.id, PrintItem.seq > last)
        if box_no is not None:
            query = query.where(PrintItem.box_no == box_no)
        batch = list(session.scalars(query.order_by(PrintItem.seq).limit(READ_BATCH)))
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
        for item in batch:  # nothing of a finished batch stays in the session
            session.expunge(item)


def machine_line(run: PrintRun, item: PrintItem) -> str:
    first, last = box_range(run, item.box_no)
    return (
        f"{run.kind} No.{item.seq:07d} BOX {item.box_no}/{run.boxes} ({first:07d}-{last:07d}) KEY {item.key}"
    )


def draw_sheet(
    canvas: Any, run: PrintRun, kind: DocumentKind, item: PrintItem, *, reprint: bool = False
) -> None:
    """One sheet: the frame, the address block, then the kind's body; ends the page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    width, height = A4
    line = machine_line(run, item)
    canvas.setFont(MACHINE_FONT, 7)
    canvas.drawString(15 * mm, height - 10 * mm, line)
    canvas.setFont(GOTHIC, 8)
    canvas.drawRightString(
        width - 15 * mm,
        height - 14 * mm,
        f"帳票ID {run.kind}　通番 {item.seq}　箱 {item.box_no}/{run.boxes}　位置 {position(run, item)}"
        + ("　再発行" if reprint else ""),
    )
    # The address block (a window envelope's window: about 20 mm from the left, 25 mm from the top).
    x, y = 22 * mm, height - 32 * mm
    canvas.setFont(MINCHO, 10)
    if item.postcode:
        code = item.postcode if "-" in item.postcode else f"{item.postcode[:3]}-{item.postcode[3:]}"
        canvas.drawString(x, y, f"〒{code}")
    canvas.drawString(x, y - 6 * mm, item.address[:40])
    if len(item.address) > 40:
        canvas.drawString(x, y - 11 * mm, item.address[40:80])
    canvas.setFont(MINCHO, 13)
    canvas.drawString(x, y - 19 * mm, f"{item.name}　様")
    if run.barcode and item.postcode:
        try:
            pattern = barcode.bar_pattern(item.postcode, item.address_after_town)
        except ValueError:
            pattern = None  # a 郵便番号 that is not seven digits: no barcode rather than a wrong one
        if pattern:
            barcode.draw(canvas, x, y - 27 * mm, pattern, point=8)
    kind.drawer()(canvas, item.payload, height - 75 * mm)
    canvas.setFont(MACHINE_FONT, 7)
    canvas.drawString(15 * mm, 8 * mm, line)
    canvas.showPage()


@contextlib.contextmanager
def _binary_streams() -> Iterator[None]:
    """Write compressed page streams without the ASCII85 layer reportlab adds by default: a quarter
    smaller and faster to write and read. reportlab reads the setting when a file is saved, so it
    is changed only for the length of a ``save()`` of this package and put back after."""
    from reportlab import rl_config

    before = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = before


def _canvas(path: Path, title: str) -> Any:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    register_fonts(MINCHO, GOTHIC)
    canvas = Canvas(str(path), pagesize=A4, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    return canvas


def render_box(session: Session, run: PrintRun, kind: DocumentKind, folder: Path, box_no: int) -> Path:
    """Write one box's PDF; a run killed while drawing leaves only a ``.part`` file, drawn again."""
    folder.mkdir(parents=True, exist_ok=True)
    target = box_file(folder, box_no)
    partial = target.with_suffix(".pdf.part")
    canvas = _canvas(partial, f"{run.title} {box_no}/{run.boxes}")
    for item in items(session, run, box_no):
        draw_sheet(canvas, run, kind, item)
    with _binary_streams():
        canvas.save()
    os.replace(partial, target)
    return target


def reprint(run: PrintRun, kind: DocumentKind, item: PrintItem, folder: Path) -> bytes:
    """One document printed again with its own 通番 and box (marked 再発行)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    register_fonts(MINCHO, GOTHIC)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    draw_sheet(canvas, run, kind, item, reprint=True)
    canvas.save()
    return buffer.getvalue()


REGISTER_HEADER = ("通番", "箱番号", "番号", "氏名・名称", "郵便番号", "住所")


def write_register(session: Session, run: PrintRun, kind: DocumentKind, folder: Path) -> tuple[Path, Path]:
    """The 発送簿 in 通番 order, as Excel (through the export layer) and as PDF, both streamed."""
    from openpyxl import Workbook
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    folder.mkdir(parents=True, exist_ok=True)
    xlsx_path, pdf_path = register_files(folder)
    book = Workbook(write_only=True)  # rows go to disk as they come
    sheet = book.create_sheet("発送簿")
    exports.append_row(sheet, (f"{kind.label_ja} 発送簿", run.title, f"帳票ID {run.kind}"))
    exports.append_row(sheet, REGISTER_HEADER)
    register_fonts(MINCHO, GOTHIC)
    width, height = landscape(A4)
    canvas = Canvas(
        str(pdf_path.with_suffix(".pdf.part")), pagesize=(width, height), pageCompression=1, invariant=1
    )
    canvas.setTitle(f"{run.title} 発送簿")
    columns = (12 * mm, 40 * mm, 60 * mm, 100 * mm, 150 * mm, 170 * mm)
    page, text = 0, None

    def new_page() -> Any:
        nonlocal page
        if text is not None:
            canvas.drawText(text)
            canvas.showPage()
        page += 1
        canvas.setFont(GOTHIC, 10)
        canvas.drawString(
            12 * mm, height - 12 * mm, f"{kind.label_ja} 発送簿　{run.title}　帳票ID {run.kind}"
        )
        canvas.drawRightString(width - 12 * mm, height - 12 * mm, f"{page}")
        canvas.setFont(GOTHIC, 8)
        for x, label in zip(columns, REGISTER_HEADER, strict=True):
            canvas.drawString(x, height - 20 * mm, label)
        return canvas.beginText()

    for n, item in enumerate(items(session, run)):
        exports.append_row(sheet, (item.seq, item.box_no, item.key, item.name, item.postcode, item.address))
        row = n % REGISTER_ROWS_PER_PAGE
        if row == 0:
            text = new_page()
        assert text is not None
        y = height - (26 + row * 4) * mm
        # 通番, box and number in the machine font, read back to hold the 発送簿 against the boxes.
        text.setFont(MACHINE_FONT, 7)
        for x, value in zip(
            columns[:3], (f"{item.seq:07d}", f"{item.box_no}/{run.boxes}", item.key), strict=True
        ):
            text.setTextOrigin(x, y)
            text.textOut(value)
        text.setFont(MINCHO, 7)
        for x, value in zip(columns[3:], (item.name[:24], item.postcode, item.address[:50]), strict=True):
            text.setTextOrigin(x, y)
            text.textOut(value)
    if text is not None:
        canvas.drawText(text)
    canvas.showPage()
    with _binary_streams():
        canvas.save()
    os.replace(pdf_path.with_suffix(".pdf.part"), pdf_path)
    book.save(str(xlsx_path))
    return xlsx_path, pdf_path
