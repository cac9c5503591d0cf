"""The certificates as PDF/A-2b (A4, IPAmj明朝 embedded), drawn only from the stored issuance.

The layouts follow the forms of the 住民記録システム標準仕様書 (its 帳票 of 住民票の写し, 除票の写し,
転出証明書) and the 印鑑登録証明書 of the city's 印鑑条例:

- 住民票の写し as 個人票 (one person a sheet, the items one under the other) or as 世帯連記式 (the
  household's persons in blocks, ``PERSONS_PER_SHEET`` a sheet, the address and 世帯主 once);
- the items each person carries: 氏名 and フリガナ, 生年月日, 性別, 続柄, 住民となった年月日, 住所を
  定めた年月日, 届出日, 従前の住所; the 住民票コード, 個人番号, 本籍・筆頭者 and 旧氏 only when the
  request asked for them (and the law allows: services.py checks); a 外国人住民's items of 住基法
  30条の45 and the 通称 whenever recorded;
- 「以下余白」 after the last item, so nothing can be added below it;
- the 認証文, the date, the mayor's title and the city's 公印 (an image the city uploads as a
  parameter), on the city's 地紋 (a background image, also a parameter).

The creation date written is the issue time and the document ID comes from the 交付番号: drawing an
issuance again gives the same bytes. The signature (signing.py) is added to these bytes at issue.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask_babel import force_locale

from modules.certificates.codes import display_code
from modules.certificates.glyphs import Printer
from modules.certificates.models import Kind
from modules.residents.public import sex_label
from tenant_core.japanese import JST, wareki_date
from tenant_core.pdf import GOTHIC, MJ_MINCHO, Margins, PageSetup, Styles, build_pdf
from tenant_core.pdf import paragraph as _p

if TYPE_CHECKING:
    from modules.certificates.models import Issuance
    from modules.residents.public import Vault

# 明朝 (MJ) body, ゴシック title, A4 with 20 mm sides; invariant, so a reprint is the same bytes.
SETUP = PageSetup(
    font=MJ_MINCHO,
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
BLANK_BELOW = "以下余白"
PERSONS_PER_SHEET = 4  # 世帯連記式: the persons one sheet holds
TITLES = {
    Kind.juminhyo: "住民票の写し",
    Kind.joshu: "除票の写し",
    Kind.tenshutsu: "転出証明書",
    Kind.inkan: "印鑑登録証明書",
}
SEAL_SIZE_MM = 24  # the 公印 as printed (a city's seal is about 21-30 mm square)


@dataclass(frozen=True)
class CityImages:
    """The city's 公印 and 地紋 in force on the issue day (PNG or JPEG bytes), None when not set."""

    seal: bytes | None = None
    background: bytes | None = None


def _day(iso: str | None) -> str:
    return wareki_date(dt.date.fromisoformat(iso)) if iso else ""


def _styles() -> dict[str, Any]:
    st: Styles = SETUP.styles()
    return {
        "body": st.body,
        "small": st.small,
        "title": st.title,
        "right": st.right,
        "mayor": st.derive("mayor", fontSize=13, leading=18, alignment=2),
        "blank": st.derive("blank", alignment=1, fontSize=10),
    }


def _table(data: list[list[Any]], widths: list[float], header: bool = True) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    style = [
        ("FONTNAME", (0, 0), (-1, -1), SETUP.font),
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
    text = out(entry["honseki"])
    return text + (f"\u3000筆頭者\u3000{out(entry['hitto_sha'])}" if entry.get("hitto_sha") else "")


def _address(c: dict[str, Any], out: Printer) -> str:
    return out(c["address"] + ("\u3000" + c["katagaki"] if c.get("katagaki") else ""))


FOREIGN_LABELS = (
    ("alpha_name", "氏名（アルファベット）"),
    ("nationality", "国籍・地域"),
    ("foreign_category", "法第30条の45に規定する区分"),
    ("residence_status", "在留資格"),
    ("residence_period", "在留期間"),
    ("residence_until", "在留期間の満了の日"),
    ("card_number", "在留カード等の番号"),
)


def person_items(
    e: dict[str, Any], items: dict[str, Any], out: Printer, vault: Vault | None
) -> list[tuple[str, str]]:
    """The labelled items of one person, in the order of the standard's forms."""
    rows = [
        ("氏名", f"{out(e['family_name'])}\u3000{out(e['given_name'])}"),
        ("フリガナ", f"{out(e['family_kana'])}\u3000{out(e['given_kana'])}"),
    ]
    if e.get("tsusho"):
        kana = f"（{out(e['tsusho_kana'])}）" if e.get("tsusho_kana") else ""
        rows.append(("通称", out(e["tsusho"]) + kana))
    if e.get("kyuuji"):
        kana = f"（{out(e['kyuuji_kana'])}）" if e.get("kyuuji_kana") else ""
        rows.append(("旧氏", out(e["kyuuji"]) + kana))
    rows += [("生年月日", _day(e["birth_date"])), ("性別", sex_label(e["sex"]))]
    if items.get("relationship") and e.get("relationship"):
        rows.append(("続柄", out(e["relationship"])))
    rows.append(("住民となった年月日", _day(e["resident_since"])))
    if e.get("address_set_on"):
        rows.append(("住所を定めた年月日", _day(e["address_set_on"])))
    if e.get("notified_on"):
        rows.append(("届出日", _day(e["notified_on"])))
    if "previous_address" in e:
        rows.append(("従前の住所", out(e["previous_address"]) or "（記載なし）"))
    foreign = e.get("foreign") or {}
    for key, label in FOREIGN_LABELS:
        if foreign.get(key):
            value = foreign[key]
            rows.append((label, _day(value) if key == "residence_until" else out(str(value))))
    if items.get("honseki") and "honseki" in e:
        rows.append(("本籍・筆頭者", _honseki_text(e, out)))
    if items.get("juminhyo_code"):
        rows.append(("住民票コード", e.get("juminhyo_code") or "（記録なし）"))
    if items.get("mynumber"):
        rows.append(("個人番号", _mynumber(e, vault)))
    if e.get("left_on"):
        rows.append((e.get("left_label") or "消除の年月日", _day(e["left_on"])))
    return rows


def _items_table(rows: list[tuple[str, str]], st: dict[str, Any]) -> Any:
    from reportlab.lib.units import mm

    data = [[_p(label, st["small"]), _p(value, st["body"])] for label, value in rows]
    return _table(data, [42 * mm, 128 * mm], header=False)


def _head_block(c: dict[str, Any], items: dict[str, Any], out: Printer, st: dict[str, Any]) -> list[Any]:
    from reportlab.lib.units import mm

    rows = [[_p("住所", st["small"]), _p(_address(c, out), st["body"])]]
    if items.get("relationship") and c.get("head_name"):
        rows.append([_p("世帯主", st["small"]), _p(out(c["head_name"]), st["body"])])
    return [_table(rows, [42 * mm, 128 * mm], header=False)]


def _resident_sheets(
    issuance: Issuance, out: Printer, st: dict[str, Any], vault: Vault | None
) -> list[list[Any]]:
    """The sheets' bodies of a 住民票の写し or 除票の写し: 個人票 or 世帯連記式."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    c, items = issuance.content, issuance.items
    persons = c["persons"]
    if c["layout"].get("form") == "kojin":
        return [
            [
                *_head_block(c, items, out, st),
                Spacer(1, 3 * mm),
                _items_table(person_items(e, items, out, vault), st),
            ]
            for e in persons
        ]
    sheets: list[list[Any]] = []
    for start in range(0, len(persons), PERSONS_PER_SHEET):
        body: list[Any] = _head_block(c, items, out, st)
        for number, e in enumerate(persons[start : start + PERSONS_PER_SHEET], start + 1):
            body += [
                Spacer(1, 3 * mm),
                _p(f"（{number}）", st["small"]),
                _items_table(person_items(e, items, out, vault), st),
            ]
        sheets.append(body)
    return sheets


def _tenshutsu_body(issuance: Issuance, out: Printer, st: dict[str, Any], vault: Vault | None) -> list[Any]:
    """転出証明書 (住基法施行令23条): the persons moving, the 転出先 and the 転出(予定)年月日."""
    from reportlab.lib.units import mm
    from reportlab.platypus import Spacer

    c, items = issuance.content, issuance.items
    rows = [
        [_p("住所", st["small"]), _p(_address(c, out), st["body"])],
        [_p("転出先", st["small"]), _p(out(c.get("destination")) or "（記載なし）", st["body"])],
        [_p(c.get("moved_label", "転出の年月日"), st["small"]), _p(_day(c.get("moved_on")), st["body"])],
    ]
    if c.get("notified_on"):
        rows.append([_p("届出日", st["small"]), _p(_day(c["notified_on"]), st["body"])])
    story: list[Any] = [_table(rows, [42 * mm, 128 * mm], header=False)]
    for number, e in enumerate(c["persons"], 1):
        story += [
            Spacer(1, 3 * mm),
            _p(f"（{number}）", st["small"]),
            _items_table(person_items(e, items, out, vault), st),
        ]
    return story


def _image(data: bytes, size_mm: float) -> Any:
    from reportlab.lib.units import mm
    from reportlab.platypus import Image

    return Image(io.BytesIO(data), width=size_mm * mm, height=size_mm * mm, kind="proportional")


def _inkan_body(issuance: Issuance, out: Printer, st: dict[str, Any]) -> list[Any]:
    from reportlab.lib.units import mm

    c = issuance.content
    e = c["persons"][0]
    seal = _image(issuance.seal_image, 30) if issuance.seal_image else _p("（印影なし）", st["body"])
    details = [
        [_p("氏名", st["small"]), _p(f"{out(e['family_name'])}\u3000{out(e['given_name'])}", st["body"])],
        [_p("フリガナ", st["small"]), _p(f"{out(e['family_kana'])}\u3000{out(e['given_kana'])}", st["body"])],
    ]
    if e.get("tsusho"):
        details.append([_p("通称", st["small"]), _p(out(e["tsusho"]), st["body"])])
    if e.get("kyuuji"):
        details.append([_p("旧氏", st["small"]), _p(out(e["kyuuji"]), st["body"])])
    details += [
        [_p("生年月日", st["small"]), _p(_day(e["birth_date"]), st["body"])],
        [_p("性別", st["small"]), _p(sex_label(e["sex"]), st["body"])],
        [_p("住所", st["small"]), _p(_address(c, out), st["body"])],
        [_p("登録番号", st["small"]), _p(c["registration_no"], st["body"])],
        [_p("登録日", st["small"]), _p(_day(c["registered_on"]), st["body"])],
    ]
    inner = _table(details, [25 * mm, 95 * mm], header=False)
    return [
        _table([[_p("印影", st["small"]), _p("登録事項", st["small"])], [seal, inner]], [45 * mm, 125 * mm])
    ]


def render_pdf(issuance: Issuance, vault: Vault | None = None, images: CityImages | None = None) -> bytes:
    """The certificate of a recorded issuance (unsigned); ``vault`` (the city's) when it shows the 個人番号.

    A 住民票の写し is a Japanese legal document: whatever language the clerk reads the pages in,
    every label on it (男/女...) is drawn in Japanese, and drawing it again gives the same bytes.
    """
    with force_locale("ja"):
        return _render(issuance, vault, images or CityImages())


def title_of(issuance: Issuance) -> str:
    kind = Kind(issuance.kind)
    title = TITLES[kind]
    if kind in (Kind.juminhyo, Kind.joshu):
        title += "（世帯全員）" if issuance.scope == "household" else "（個人）"
    return title


def _created(issuance: Issuance) -> dt.datetime:
    at = getattr(issuance, "issued_at", None)
    if at is None:
        return dt.datetime.combine(issuance.issued_on, dt.time(9, 0), JST)
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(JST)


def _footer(issuance: Issuance, out: Printer, st: dict[str, Any], images: CityImages) -> list[Any]:
    """以下余白, the 認証文, the date, the mayor and the 公印, the fee and the verification address."""
    from reportlab.lib.units import mm
    from reportlab.platypus import KeepTogether, Spacer, Table, TableStyle

    layout = issuance.content["layout"]
    mayor = _p(out(layout["mayor_title"]), st["mayor"])
    if images.seal:
        # The 公印 is printed over the end of the mayor's title, as a stamped seal would be.
        signature = Table([[mayor, _image(images.seal, SEAL_SIZE_MM)]], colWidths=[140 * mm, 30 * mm])
        signature.setStyle(
            TableStyle([("FONTNAME", (0, 0), (-1, -1), SETUP.font), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")])
        )
    else:
        signature = mayor
    block = [
        Spacer(1, 8 * mm),
        _p(out(layout["wording"]), st["body"]),
        Spacer(1, 4 * mm),
        _p(wareki_date(issuance.issued_on), st["body"]),
        Spacer(1, 2 * mm),
        signature,
        Spacer(1, 6 * mm),
        _p(f"手数料 {layout['fee']:,}円", st["small"]),
    ]
    if getattr(issuance, "reissue_of", None):
        block.append(_p(f"再交付（交付番号 {issuance.reissue_of} に代わるもの）", st["small"]))
    if layout.get("verify_url"):
        block.append(
            _p(
                f"この証明書が交付されたものかどうかは {layout['verify_url']} で、交付番号と照合番号の入力"
                "またはこのPDFの提出により確認できます。",
                st["small"],
            )
        )
    return [KeepTogether(block)]


def _render(issuance: Issuance, vault: Vault | None, images: CityImages) -> bytes:
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Spacer

    st = _styles()
    out = Printer()
    layout = issuance.content["layout"]
    kind = Kind(issuance.kind)
    title = title_of(issuance)
    head = f"交付番号 {issuance.number}\u3000照合番号 {display_code(issuance.verification_code)}"
    if kind in (Kind.juminhyo, Kind.joshu):
        sheets = _resident_sheets(issuance, out, st, vault)
    elif kind == Kind.tenshutsu:
        sheets = [_tenshutsu_body(issuance, out, st, vault)]
    else:
        sheets = [_inkan_body(issuance, out, st)]
    story: list[Any] = []
    for index, body in enumerate(sheets):
        if index:
            story.append(PageBreak())
        # Issued at the emergency counter: the snapshot's date on every sheet (tenant_core/emergency.py).
        banner = [_p(layout["emergency"], st["body"])] if layout.get("emergency") else []
        story += [
            _p(head, st["right"]),
            *banner,
            Spacer(1, 3 * mm),
            _p(title, st["title"]),
            Spacer(1, 5 * mm),
            *body,
        ]
        if len(sheets) > 1:
            story.append(_p(f"{index + 1}／{len(sheets)}枚", st["right"]))
    if kind != Kind.inkan:
        story.append(_p(f"以上{len(issuance.content['persons'])}名", st["right"]))
    story += [Spacer(1, 2 * mm), _p(BLANK_BELOW, st["blank"])]
    story += _footer(issuance, out, st, images)
    story += [_p(note, st["small"]) for note in out.notes()]
    return build_pdf(
        story,
        SETUP,
        title=f"{title} {issuance.number}",
        author=out(layout["city_name"]),
        creator="Kyodo",
        created=_created(issuance),
        doc_id=f"kyodo-certificate:{issuance.number}",
        info={"KyodoIssuance": issuance.number},
        on_page=_background(images.background),
    )


def _background(data: bytes | None) -> Any:
    """Draws the city's 地紋 over the whole page, under the text."""
    if not data:
        return None
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader

    reader = ImageReader(io.BytesIO(data))

    def draw(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.drawImage(reader, 0, 0, width=A4[0], height=A4[1], preserveAspectRatio=False)
        canvas.restoreState()

    return draw
