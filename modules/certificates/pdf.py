"""The certificates as PDF (A4, built-in Japanese CID font), drawn only from the stored issuance.

The document is drawn in reportlab's invariant mode (no creation time, a fixed document id), so
printing an issuance again gives the same bytes, and the SHA-256 in the register still matches.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, Any

from flask_babel import force_locale

from modules.certificates.codes import display_code
from modules.certificates.glyphs import Printer
from modules.certificates.models import Kind
from modules.residents.public import sex_label
from tenant_core.japanese import wareki_date
from tenant_core.pdf import GOTHIC, MINCHO, Margins, PageSetup, Styles, build_pdf
from tenant_core.pdf import paragraph as _p

if TYPE_CHECKING:
    from modules.certificates.models import Issuance
    from modules.residents.public import Vault

# 明朝 body, ゴシック title, A4 with 20 mm sides; invariant, so a reprint hashes as issued.
SETUP = PageSetup(
    font=MINCHO,
    size=10,
    leading=14,
    small_size=8,
    small_leading=11,
    title_font=GOTHIC,
    title_size=18,
    title_leading=26,
    margins=Margins(top=18, right=20, bottom=18, left=20),
    invariant=True,
)


def _day(iso: str) -> str:
    return wareki_date(dt.date.fromisoformat(iso))


def _styles() -> dict[str, Any]:
    st: Styles = SETUP.styles()
    return {
        "body": st.body,
        "small": st.small,
        "title": st.title,
        "right": st.right,
        "mayor": st.derive("mayor", fontSize=13, leading=18, alignment=2),
    }


def _table(data: list[list[Any]], widths: list[float], header: bool = True) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")))
    table = Table(data, colWidths=widths)
    table.setStyle(TableStyle(style))
    return table


def _mynumber(entry: dict[str, Any], vault: Vault | None) -> str:
    if vault is None:
        raise RuntimeError("the city's vault is needed to print the 個人番号")
    number = vault.decrypt(entry.get("mynumber_token"))
    return f"{number[:4]} {number[4:8]} {number[8:]}" if number else "（記録なし）"


NO_HONSEKI = "（住民記録に本籍の記録がありません）"


def _honseki_text(entry: dict[str, Any], out: Printer) -> str:
    if not entry.get("honseki"):
        return NO_HONSEKI
    text = f"本籍\u3000{out(entry['honseki'])}"
    return text + (f"\u3000筆頭者\u3000{out(entry['hitto_sha'])}" if entry.get("hitto_sha") else "")


def _honseki(c: dict[str, Any], out: Printer, st: dict[str, Any]) -> list[Any]:
    """本籍・筆頭者: one line when every person shares them, else one line per person."""
    from reportlab.lib.units import mm

    entries = [e for e in c["persons"] if "honseki" in e]
    if not entries:
        # Issued before the register kept the 本籍: drawn as it was then (a reprint is identical).
        return [_p("本籍・筆頭者\u3000" + (out(c.get("honseki")) or NO_HONSEKI), st["body"])]
    if len({(e["honseki"], e["hitto_sha"]) for e in entries}) == 1:
        return [_p(_honseki_text(entries[0], out), st["body"])]
    data = [
        [
            _p(f"{out(e['family_name'])}\u3000{out(e['given_name'])}", st["body"]),
            _p(_honseki_text(e, out), st["body"]),
        ]
        for e in entries
    ]
    return [_p("本籍・筆頭者", st["small"]), _table(data, [45 * mm, 125 * mm], header=False)]


def _juminhyo_body(issuance: Issuance, out: Printer, st: dict[str, Any], vault: Vault | None) -> list[Any]:
    from reportlab.lib.units import mm

    c, items = issuance.content, issuance.items
    story = [
        _p("住所", st["small"]),
        _p(out(c["address"] + ("\u3000" + c["katagaki"] if c["katagaki"] else "")), st["body"]),
    ]
    if items.get("relationship"):
        story += [_p(f"世帯主\u3000{out(c['head_name'])}", st["body"])]
    if items.get("honseki"):
        story += _honseki(c, out, st)
    headers = ["氏名（フリガナ）", "生年月日", "性別"]
    widths = [55 * mm, 35 * mm, 12 * mm]
    if items.get("relationship"):
        headers.append("続柄")
        widths.append(18 * mm)
    headers.append("住民となった日")
    widths.append(35 * mm)
    if items.get("mynumber"):
        headers.append("個人番号")
        widths.append(32 * mm)
    scale = 170 * mm / sum(widths)
    data = [[_p(h, st["small"]) for h in headers]]
    for e in c["persons"]:
        row = [
            _p(
                f"{out(e['family_name'])}\u3000{out(e['given_name'])}\n（{out(e['family_kana'])}\u3000{out(e['given_kana'])}）",
                st["body"],
            ),
            _p(_day(e["birth_date"]), st["body"]),
            _p(sex_label(e["sex"]), st["body"]),
        ]
        if items.get("relationship"):
            row.append(_p(out(e.get("relationship", "")), st["body"]))
        row.append(_p(_day(e["resident_since"]), st["body"]))
        if items.get("mynumber"):
            row.append(_p(_mynumber(e, vault), st["body"]))
        data.append(row)
    story.append(_table(data, [w * scale for w in widths]))
    story.append(_p(f"以上{len(c['persons'])}名", st["right"]))
    return story


def _inkan_body(issuance: Issuance, out: Printer, st: dict[str, Any]) -> list[Any]:
    from reportlab.lib.units import mm
    from reportlab.platypus import Image

    c = issuance.content
    e = c["persons"][0]
    seal = _p("（印影なし）", st["body"])
    if issuance.seal_image:
        seal = Image(io.BytesIO(issuance.seal_image), width=30 * mm, height=30 * mm, kind="proportional")
    details = [
        [_p("氏名", st["small"]), _p(f"{out(e['family_name'])}\u3000{out(e['given_name'])}", st["body"])],
        [_p("フリガナ", st["small"]), _p(f"{out(e['family_kana'])}\u3000{out(e['given_kana'])}", st["body"])],
        [_p("生年月日", st["small"]), _p(_day(e["birth_date"]), st["body"])],
        [_p("性別", st["small"]), _p(sex_label(e["sex"]), st["body"])],
        [
            _p("住所", st["small"]),
            _p(out(c["address"] + ("\u3000" + c["katagaki"] if c["katagaki"] else "")), st["body"]),
        ],
        [_p("登録番号", st["small"]), _p(c["registration_no"], st["body"])],
        [_p("登録日", st["small"]), _p(_day(c["registered_on"]), st["body"])],
    ]
    inner = _table(details, [25 * mm, 95 * mm], header=False)
    return [
        _table([[_p("印影", st["small"]), _p("登録事項", st["small"])], [seal, inner]], [45 * mm, 125 * mm])
    ]


def render_pdf(issuance: Issuance, vault: Vault | None = None) -> bytes:
    """The certificate of a recorded issuance; ``vault`` (the city's) when it shows the 個人番号.

    A 住民票の写し is a Japanese legal document: whatever language the clerk reads the pages in,
    every label on it (男/女...) is drawn in Japanese, and a reprint gives the same bytes.
    """
    with force_locale("ja"):
        return _render(issuance, vault)


def _render(issuance: Issuance, vault: Vault | None) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    st = _styles()
    out = Printer()
    layout = issuance.content["layout"]
    kind = Kind(issuance.kind)
    title = "住民票の写し" if kind == Kind.juminhyo else "印鑑登録証明書"
    if kind == Kind.juminhyo:
        title += "（世帯全員）" if issuance.scope == "household" else "（個人）"
    story: list[Any] = [
        _p(
            f"交付番号 {issuance.number}\u3000照合番号 {display_code(issuance.verification_code)}",
            st["right"],
        ),
        *([_p(layout["emergency"], st["body"])] if layout.get("emergency") else []),
        Spacer(1, 3 * mm),
        _p(title, st["title"]),
        Spacer(1, 5 * mm),
    ]
    if kind == Kind.juminhyo:
        story += _juminhyo_body(issuance, out, st, vault)
    else:
        story += _inkan_body(issuance, out, st)
    story += [
        Spacer(1, 8 * mm),
        _p(out(layout["wording"]), st["body"]),
        Spacer(1, 4 * mm),
        _p(wareki_date(issuance.issued_on), st["body"]),
        Spacer(1, 4 * mm),
        _p(f"{out(layout['mayor_title'])}\u3000［職印］", st["mayor"]),
        Spacer(1, 8 * mm),
        _p(f"手数料 {layout['fee']:,}円", st["small"]),
    ]
    if layout.get("verify_url"):
        story.append(
            _p(
                f"この証明書が交付されたものかどうかは {layout['verify_url']} で交付番号と照合番号を入力して確認できます。",
                st["small"],
            )
        )
    story += [_p(note, st["small"]) for note in out.notes()]
    return build_pdf(
        story, SETUP, title=f"{title} {issuance.number}", author=out(layout["city_name"]), creator="Kyodo"
    )
