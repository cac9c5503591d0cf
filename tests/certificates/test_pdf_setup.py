"""The shared PDF page set-up: the certificate stays Japanese and byte-identical whatever the clerk's
language; the set-up serves any document."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from modules.certificates.pdf import SETUP, render_pdf
from tenant_core.pdf import GOTHIC, Margins, PageSetup, build_pdf, paragraph

PERSON = {
    "atena_no": 1,
    "family_name": "山田",
    "given_name": "花子",
    "family_kana": "ヤマダ",
    "given_kana": "ハナコ",
    "birth_date": "1980-01-02",
    "sex": "female",
    "resident_since": "2001-04-01",
    "relationship": "世帯主",
}
ISSUANCE = SimpleNamespace(
    kind="juminhyo",
    scope="person",
    number="2026-000001",
    verification_code="ABCDEFGHJKMNPQRS",
    issued_on=dt.date(2026, 5, 1),
    items={"relationship": True},
    seal_image=None,
    content={
        "layout": {"city_name": "富士市", "mayor_title": "富士市長", "wording": "証明する。", "fee": 300},
        "address": "富士市本町1-2",
        "katagaki": "",
        "head_name": "山田　花子",
        "persons": [PERSON],
    },
)


def test_the_certificate_is_the_same_bytes_in_any_language(app):
    plain = render_pdf(ISSUANCE)
    assert plain == render_pdf(ISSUANCE)  # invariant: a reprint hashes as issued
    with app.test_request_context("/?lang=en"):
        assert render_pdf(ISSUANCE) == plain
    assert SETUP.invariant


def test_a_page_setup_builds_any_document():
    setup = PageSetup(
        font=GOTHIC, size=9, leading=12, title_size=16, title_leading=22, margins=Margins.all(15)
    )
    st = setup.styles()
    assert st.title.fontName == GOTHIC and st.title.alignment == 1 and st.small.fontSize == 8
    pdf = build_pdf([paragraph("負担金算定書 <A&B>", st.title)], setup, title="t", author="a")
    assert pdf.startswith(b"%PDF") and len(pdf) > 500
