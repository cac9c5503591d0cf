"""The page set-up of the platform's PDF documents: Japanese fonts, A4, margins, base styles, build.

Every module that prints (the certificates of 証明書交付, the 負担金算定書 of the cost module) draws
its own story of reportlab flowables and leaves the rest here::

    SETUP = PageSetup(font=GOTHIC, size=9, leading=12, small_size=7.5, small_leading=10,
                      title_size=16, title_leading=22, margins=Margins.all(15))
    st = SETUP.styles()
    story = [paragraph("負担金算定書", st.title), paragraph(member_name, st.body), ...]
    pdf = build_pdf(story, SETUP, title="...", author=consortium)

The fonts are reportlab's built-in CID fonts (no font file to ship); they cover JIS X 0208, so text
with rarer characters should go through a filter first (see ``modules/certificates/glyphs.py``).
reportlab is imported only when a document is drawn: most processes never print.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

MINCHO = "HeiseiMin-W3"  # 明朝: the body of official documents
GOTHIC = "HeiseiKakuGo-W5"  # ゴシック: titles, tables of figures
SMALL_COLOR = "#333333"


def register_fonts(*names: str) -> None:
    """Make the built-in CID fonts ``names`` known to reportlab (once per process)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    for name in names:
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(name))


@dataclass(frozen=True)
class Margins:
    """Page margins in millimetres."""

    top: float = 18
    right: float = 20
    bottom: float = 18
    left: float = 20

    @classmethod
    def all(cls, mm: float) -> Margins:
        return cls(mm, mm, mm, mm)


@dataclass(frozen=True)
class Styles:
    """The base paragraph styles of a document; ``derive`` makes more from ``body``."""

    body: Any
    small: Any
    title: Any
    right: Any

    def derive(self, name: str, **attributes: Any) -> Any:
        from reportlab.lib.styles import ParagraphStyle

        return ParagraphStyle(name, parent=self.body, **attributes)


@dataclass(frozen=True)
class PageSetup:
    """Fonts, sizes and margins of one kind of document (A4 portrait)."""

    font: str = MINCHO
    size: float = 10
    leading: float = 14
    small_size: float = 8
    small_leading: float = 11
    title_font: str | None = None  # None: the body font
    title_size: float = 18
    title_leading: float = 26
    margins: Margins = field(default_factory=Margins)
    # Invariant: no creation time and a fixed document id, so the same story gives the same bytes
    # (a certificate printed again must hash as it did when issued).
    invariant: bool = False

    @property
    def fonts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.font, self.title_font or self.font)))

    def styles(self) -> Styles:
        """The base styles, the fonts registered: body (CJK line breaks), small, title, right."""
        from reportlab.lib import colors
        from reportlab.lib.styles import ParagraphStyle

        register_fonts(*self.fonts)
        body = ParagraphStyle(
            "body", fontName=self.font, fontSize=self.size, leading=self.leading, wordWrap="CJK"
        )
        return Styles(
            body=body,
            small=ParagraphStyle(
                "small",
                parent=body,
                fontSize=self.small_size,
                leading=self.small_leading,
                textColor=colors.HexColor(SMALL_COLOR),
            ),
            title=ParagraphStyle(
                "title",
                parent=body,
                fontName=self.title_font or self.font,
                fontSize=self.title_size,
                leading=self.title_leading,
                alignment=1,
            ),
            right=ParagraphStyle("right", parent=body, alignment=2),
        )


def paragraph(text: str, style: Any) -> Any:
    """A paragraph of plain text: ``<``, ``&`` are escaped (names are data, not markup), ``\\n`` breaks."""
    from reportlab.platypus import Paragraph

    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def build_pdf(
    story: list[Any], setup: PageSetup, *, title: str, author: str, creator: str | None = None
) -> bytes:
    """Lay ``story`` out on A4 pages with the set-up's margins; the PDF's bytes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    register_fonts(*setup.fonts)
    options: dict[str, Any] = {"title": title, "author": author}
    if creator is not None:
        options["creator"] = creator
    if setup.invariant:
        options["invariant"] = 1
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=setup.margins.left * mm,
        rightMargin=setup.margins.right * mm,
        topMargin=setup.margins.top * mm,
        bottomMargin=setup.margins.bottom * mm,
        **options,
    )
    doc.build(story)
    return buffer.getvalue()
