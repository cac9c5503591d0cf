"""The page set-up of the platform's PDF documents: Japanese fonts, A4, margins, base styles, build.

Every module that prints (the certificates of 証明書交付, the 負担金算定書 of the cost module) draws
its own story of reportlab flowables and leaves the rest here::

    SETUP = PageSetup(font=GOTHIC, size=9, leading=12, small_size=7.5, small_leading=10,
                      title_size=16, title_leading=22, margins=Margins.all(15))
    st = SETUP.styles()
    story = [paragraph("負担金算定書", st.title), paragraph(member_name, st.body), ...]
    pdf = build_pdf(story, SETUP, title="...", author=consortium)

The fonts are TrueType files from Debian packages (``fonts-ipaexfont-mincho``,
``fonts-ipaexfont-gothic``, ``fonts-ipamj-mincho``; see the README's set-up), embedded as subsets
(only the glyphs used, FontFile2), so the PDF shows the same characters on any machine. IPAmj明朝
holds the MJ glyphs (行政事務標準文字, about 58,000 characters): names with rarer characters print
as registered. Variation selectors (IVS) are not drawn by reportlab (it maps code points, not
glyph ids): see ``modules/certificates/glyphs.py`` for what is printed instead.

Every document is PDF/A-2b (ISO 19005-2, level B): fonts embedded, an XMP packet naming the part
and conformance, an sRGB output intent (the ICC profile of Debian's ``icc-profiles-free``), the
creation date, a trailer ID, no encryption and no JavaScript. ``pdfa_problems`` checks what can be
read with pikepdf (veraPDF, the reference validator, cannot be installed here: see the README).
reportlab is imported only when a document is drawn: most processes never print.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import threading
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

MINCHO = "IPAexMincho"  # 明朝: the body of official documents
GOTHIC = "IPAexGothic"  # ゴシック: titles, tables of figures
MJ_MINCHO = "IPAmjMincho"  # 明朝 with the MJ glyphs: certificates that print names
SMALL_COLOR = "#333333"

# Where Debian installs the fonts and the sRGB profile (the packages named in the README's set-up).
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
FONT_FILES = {
    MINCHO: ("ipaexm.ttf", "fonts-ipaexfont-mincho"),
    GOTHIC: ("ipaexg.ttf", "fonts-ipaexfont-gothic"),
    MJ_MINCHO: ("ipamjm.ttf", "fonts-ipamj-mincho"),
}
SRGB_PROFILES = (Path("/usr/share/color/icc/sRGB.icc"), Path("/usr/share/color/icc/colord/sRGB.icc"))
SRGB_PACKAGE = "icc-profiles-free"


class PdfSetupError(RuntimeError):
    """A font or colour profile the documents need is not installed; the message names the package."""


@cache
def font_path(name: str) -> Path:
    """The TrueType file of font ``name`` (searched once under the system font folders)."""
    filename, package = FONT_FILES[name]
    for folder in FONT_DIRS:
        for found in sorted(folder.rglob(filename)) if folder.is_dir() else []:
            return found
    raise PdfSetupError(f"font {name} ({filename}) not found: apt-get install {package}")


@cache
def srgb_profile() -> bytes:
    """The sRGB ICC profile of the output intent."""
    for path in SRGB_PROFILES:
        if path.is_file():
            return path.read_bytes()
    raise PdfSetupError(f"no sRGB ICC profile found: apt-get install {SRGB_PACKAGE}")


# Ideographic variation sequences (IVS): reportlab maps code points to glyphs and knows nothing of
# a font's format 14 cmap (base character + variation selector -> glyph). Each sequence the font
# draws with its own glyph gets a code point of the supplementary private use areas (planes 15-16,
# numbered in the font's own order, so the same in every process) mapped to that glyph; the text
# drawn carries that code point and the ToUnicode map gives the sequence back (``_fix_to_unicode``).
PUA_START = 0xF0000
_ivs_lock = threading.Lock()
_IVS: dict[str, dict[tuple[int, int], int]] = {}  # font -> (base, selector) -> code point drawn
_IVS_TEXT: dict[int, str] = {}  # private code point -> the sequence it stands for


def _read_cmap14(path: Path) -> tuple[dict[tuple[int, int], int], set[tuple[int, int]]]:
    """The format 14 subtable of a TrueType file: (base, selector) -> glyph id, and the default sequences."""
    import struct

    glyphs: dict[tuple[int, int], int] = {}
    defaults: set[tuple[int, int]] = set()
    with path.open("rb") as f:

        def read(at: int, size: int) -> bytes:
            f.seek(at)
            return f.read(size)

        num_tables = struct.unpack(">H", read(4, 2))[0]
        cmap = None
        for i in range(num_tables):
            tag, _sum, offset, _length = struct.unpack(">4sIII", read(12 + 16 * i, 16))
            if tag == b"cmap":
                cmap = offset
        if cmap is None:
            return glyphs, defaults
        count = struct.unpack(">H", read(cmap + 2, 2))[0]
        for i in range(count):
            platform, encoding, offset = struct.unpack(">HHI", read(cmap + 4 + 8 * i, 8))
            if (platform, encoding) != (0, 5):
                continue
            at = cmap + offset
            records = struct.unpack(">I", read(at + 6, 4))[0]
            for r in range(records):
                raw = read(at + 10 + 11 * r, 11)
                selector = int.from_bytes(raw[0:3], "big")
                default_at, other_at = struct.unpack(">II", raw[3:11])
                if default_at:
                    n = struct.unpack(">I", read(at + default_at, 4))[0]
                    ranges = read(at + default_at + 4, 4 * n)
                    for k in range(n):
                        start = int.from_bytes(ranges[4 * k : 4 * k + 3], "big")
                        for base in range(start, start + ranges[4 * k + 3] + 1):
                            defaults.add((base, selector))
                if other_at:
                    n = struct.unpack(">I", read(at + other_at, 4))[0]
                    table = read(at + other_at + 4, 5 * n)
                    for k in range(n):
                        base = int.from_bytes(table[5 * k : 5 * k + 3], "big")
                        glyphs[(base, selector)] = struct.unpack(">H", table[5 * k + 3 : 5 * k + 5])[0]
    return glyphs, defaults


def _add_variation_glyphs(name: str, font: Any) -> None:
    """Give each of the font's variation sequences a private code point reportlab can draw."""
    glyphs, defaults = _read_cmap14(font_path(name))
    face = font.face
    # reportlab copies a table out of the font file each time it makes a subset; IPAmj明朝's glyph
    # table is about 40 MB, so each document paid for copying it: the tables are kept once read.
    tables: dict[str, bytes] = {}
    read_table = face.get_table

    def get_table(tag: str) -> bytes:
        if tag not in tables:
            tables[tag] = read_table(tag)
        return tables[tag]

    face.get_table = get_table
    table: dict[tuple[int, int], int] = {pair: pair[0] for pair in defaults}
    for index, (pair, glyph) in enumerate(sorted(glyphs.items())):
        code = PUA_START + index
        if code > 0x10FFFD or glyph >= len(face.hmetrics):
            break
        face.charToGlyph[code] = glyph
        face.charWidths[code] = face._pdfScale(face.hmetrics[glyph][0])
        table[pair] = code
        _IVS_TEXT[code] = chr(pair[0]) + chr(pair[1])
    _IVS[name] = table


def variation_char(name: str, base: str, selector: str) -> str | None:
    """What to draw for ``base`` + ``selector`` in font ``name``: a private code point standing for
    the variant glyph, the base itself when the sequence is the font's default, None when unknown."""
    register_fonts(name)
    code = _IVS.get(name, {}).get((ord(base), ord(selector)))
    return None if code is None else chr(code)


def register_fonts(*names: str) -> None:
    """Make the TrueType fonts ``names`` known to reportlab (once per process), embedded as subsets."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name in names:
        if name in pdfmetrics.getRegisteredFontNames():
            continue
        with _ivs_lock:
            if name in pdfmetrics.getRegisteredFontNames():
                continue
            font = TTFont(name, str(font_path(name)))
            _add_variation_glyphs(name, font)
            pdfmetrics.registerFont(font)


@cache
def font_covers(name: str) -> frozenset[int]:
    """The code points font ``name`` has a glyph for."""
    from reportlab.pdfbase import pdfmetrics

    register_fonts(name)
    return frozenset(pdfmetrics.getFont(name).face.charToGlyph)


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
    # Invariant: the creation time and the document id come from the caller (``created``, ``doc_id``),
    # never from the clock, so the same story gives the same bytes (a certificate drawn again from
    # the register is the document that was signed).
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
    story: list[Any],
    setup: PageSetup,
    *,
    title: str,
    author: str,
    creator: str | None = None,
    created: dt.datetime | None = None,
    doc_id: str | None = None,
    info: dict[str, str] | None = None,
    on_page: Any = None,
) -> bytes:
    """Lay ``story`` out on A4 pages with the set-up's margins; the PDF/A-2b document's bytes.

    ``created`` is the creation date written (the clock when None); ``doc_id`` seeds the trailer ID;
    ``info`` adds entries to the document information dictionary (a certificate's 交付番号);
    ``on_page(canvas, doc)`` draws behind each page (a background such as a city's 地紋).
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import SimpleDocTemplate

    register_fonts(*setup.fonts)
    options: dict[str, Any] = {"title": title, "author": author, "invariant": 1}
    if creator is not None:
        options["creator"] = creator
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=setup.margins.left * mm,
        rightMargin=setup.margins.right * mm,
        topMargin=setup.margins.top * mm,
        bottomMargin=setup.margins.bottom * mm,
        # The canvas starts in the document's own font: reportlab's default (Helvetica, never
        # embedded) would otherwise be listed in the page resources, which PDF/A forbids.
        initialFontName=setup.font,
        **options,
    )
    # A table cell without its own FONTNAME sets reportlab's default (Helvetica) on the canvas even
    # when it holds only paragraphs; the default becomes an embedded font (any document's is fine).
    from reportlab.platypus.tables import CellStyle

    CellStyle.fontname = setup.font
    if on_page is not None:
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    else:
        doc.build(story)
    when = created or dt.datetime.now(dt.UTC)
    return to_pdfa(
        buffer.getvalue(), title=title, author=author, created=when, doc_id=doc_id or title, info=info
    )


def _pdf_date(when: dt.datetime) -> str:
    """D:YYYYMMDDHHmmSS+HH'mm' (PDF 32000-1 7.9.4), in the datetime's own offset."""
    when = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    offset = when.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return when.strftime("D:%Y%m%d%H%M%S") + f"{sign}{abs(minutes) // 60:02d}'{abs(minutes) % 60:02d}'"


def to_pdfa(
    data: bytes,
    *,
    title: str,
    author: str,
    created: dt.datetime,
    doc_id: str,
    info: dict[str, str] | None = None,
) -> bytes:
    """``data`` made PDF/A-2b: the XMP packet, the sRGB output intent, the dates and a fixed trailer ID."""
    import pikepdf

    created = created if created.tzinfo else created.replace(tzinfo=dt.UTC)
    pdf = pikepdf.open(io.BytesIO(data))
    stamp = _pdf_date(created)
    pdf.docinfo[pikepdf.Name.CreationDate] = stamp
    pdf.docinfo[pikepdf.Name.ModDate] = stamp
    pdf.docinfo[pikepdf.Name.Title] = title
    pdf.docinfo[pikepdf.Name.Author] = author
    pdf.docinfo[pikepdf.Name.Producer] = "Kyodo (reportlab, pikepdf)"
    for key, value in (info or {}).items():
        pdf.docinfo[pikepdf.Name("/" + key)] = value
    _fix_to_unicode(pdf)
    profile = pdf.make_stream(srgb_profile())
    profile[pikepdf.Name.N] = 3
    pdf.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier="sRGB IEC61966-2.1",
                RegistryName="http://www.color.org",
                Info="sRGB IEC61966-2.1",
                DestOutputProfile=profile,
            )
        ]
    )
    iso = created.isoformat(timespec="seconds")
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
        meta["dc:title"] = title
        meta["dc:creator"] = [author]
        meta["pdf:Producer"] = "Kyodo (reportlab, pikepdf)"
        meta["xmp:CreateDate"] = iso
        meta["xmp:ModifyDate"] = iso
        meta["xmp:MetadataDate"] = iso
        meta["xmp:CreatorTool"] = "Kyodo"
    # The trailer ID (required by PDF/A 6.1.3) from the document's own name: the same bytes each time.
    ident = hashlib.md5(doc_id.encode(), usedforsecurity=False).digest()
    pdf.trailer.ID = pikepdf.Array([pikepdf.String(ident), pikepdf.String(ident)])
    out = io.BytesIO()
    pdf.save(out, static_id=True, min_version="1.7", object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return out.getvalue()


_ASTRAL = re.compile(rb"<([0-9A-Fa-f]{5,6})>")


def _utf16(match: re.Match[bytes]) -> bytes:
    code = int(match.group(1), 16)
    text = _IVS_TEXT.get(code, chr(code))  # a variation glyph's code point: the sequence it stands for
    return b"<" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _fix_to_unicode(pdf: Any) -> None:
    """Write characters beyond the BMP (𠮷, many MJ glyphs) in the ToUnicode maps as UTF-16.

    reportlab writes their code point as is (``<20BB7>``), which readers cannot map; as a surrogate
    pair (``<D842DFB7>``) the text can be searched and copied as registered.
    """
    import pikepdf

    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font:
            stream = obj.get("/ToUnicode")
            if stream is None:
                continue
            data = stream.read_bytes()
            fixed = _ASTRAL.sub(_utf16, data)
            if fixed != data:
                stream.write(fixed)


def pdfa_problems(data: bytes) -> list[str]:
    """The PDF/A-2b requirements pikepdf can read that ``data`` fails (empty: none found).

    Checked: no encryption; a trailer ID; XMP with pdfaid part 2 and conformance B; an output
    intent GTS_PDFA1 with an ICC profile; every font embedded (FontFile, FontFile2 or FontFile3);
    no JavaScript (names tree or actions); no external content.
    """
    import pikepdf

    problems: list[str] = []
    pdf = pikepdf.open(io.BytesIO(data))
    if pdf.is_encrypted:
        problems.append("encrypted")
    if "/ID" not in pdf.trailer:
        problems.append("no trailer ID")
    meta = pdf.open_metadata()
    if meta.get("pdfaid:part") != "2" or meta.get("pdfaid:conformance") != "B":
        problems.append("XMP lacks pdfaid:part 2 / conformance B")
    if not meta.get("xmp:CreateDate"):
        problems.append("XMP lacks the creation date")
    intents = pdf.Root.get("/OutputIntents")
    if not intents or not any(
        i.get("/S") == pikepdf.Name.GTS_PDFA1 and "/DestOutputProfile" in i for i in intents
    ):
        problems.append("no GTS_PDFA1 output intent with an ICC profile")
    if "/JavaScript" in pdf.Root.get("/Names", {}) or "/OpenAction" in pdf.Root:
        problems.append("JavaScript or open action")
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary):
            continue
        if obj.get("/S") in (pikepdf.Name.JavaScript, pikepdf.Name.Launch):
            problems.append("JavaScript or launch action")
        if obj.get("/Type") == pikepdf.Name.Font and obj.get("/Subtype") != pikepdf.Name.Type0:
            descriptor = obj.get("/FontDescriptor")
            if descriptor is None or not any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            ):
                problems.append(f"font {obj.get('/BaseFont')} not embedded")
    return sorted(set(problems))


def embedded_fonts(data: bytes) -> dict[str, str]:
    """Each font of ``data``: its base name and the key of its embedded file (FontFile2 for TrueType)."""
    import pikepdf

    found: dict[str, str] = {}
    pdf = pikepdf.open(io.BytesIO(data))
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font:
            descriptor = obj.get("/FontDescriptor")
            keys = [k for k in ("/FontFile", "/FontFile2", "/FontFile3") if descriptor and k in descriptor]
            found[str(obj.get("/BaseFont"))] = keys[0][1:] if keys else ""
    return found
