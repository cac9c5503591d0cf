"""What the PDF font can draw: characters outside JIS (外字) and variation selectors (IVS).

Certificates print names in IPAmj明朝, the font of the MJ character set (about 58,000 glyphs,
far beyond JIS X 0208), so most registered names print as they are. The register keeps the exact
characters; on paper a variation selector is dropped (reportlab draws by code point, so the base
glyph is printed) and a character the font lacks is printed as 〓 (the customary mark for a 外字),
with its code point listed in a note.

Variation sequences (IVS, base + U+E0100...): IPAmj明朝 draws about 15,000 of them with their own
glyph (tenant_core.pdf gives each a private code point reportlab can draw, and the PDF's text
gives the sequence back); a sequence the font does not know is printed as its base character,
with a note.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tenant_core.pdf import MJ_MINCHO, font_covers, variation_char

GETA = "〓"


def _is_selector(ch: str) -> bool:
    cp = ord(ch)
    return 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF


def _drawable(ch: str, font: str) -> bool:
    return ch in "\u3000\n" or ord(ch) in font_covers(font)


@dataclass
class Printer:
    """Turns stored text into printable text, remembering what it had to change."""

    replaced: dict[str, None] = field(default_factory=dict)  # ordered set of code points
    variants: bool = False
    font: str = MJ_MINCHO

    def __call__(self, text: str | None) -> str:
        out: list[str] = []
        for ch in text or "":
            if _is_selector(ch):
                drawn = variation_char(self.font, out[-1], ch) if out and out[-1] != GETA else None
                if drawn is None:
                    self.variants = True  # printed as the base character
                else:
                    out[-1] = drawn
            elif _drawable(ch, self.font):
                out.append(ch)
            else:
                self.replaced[f"U+{ord(ch):04X}"] = None
                out.append(GETA)
        return "".join(out)

    def notes(self) -> list[str]:
        notes = []
        if self.replaced:
            notes.append(
                "※ 「〓」はこの証明書の書体で表せない文字（外字）です（"
                + "、".join(self.replaced)
                + "）。正確な文字は住民票の原本のとおりです。"
            )
        if self.variants:
            notes.append("※ 異体字は通常の字形で表示しています。正確な字形は住民票の原本のとおりです。")
        return notes
