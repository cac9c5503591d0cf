"""The certificate services on their own: numbers, codes, re-rendering, glyphs."""

import datetime as dt
import hashlib

import pytest

from modules.certificates import codes, services
from modules.certificates.errors import CertificateError
from modules.certificates.glyphs import Printer
from tenant_core.auth.current import CurrentUser
from tenant_core.extensions import get_db
from tenant_core.tenancy import TenantRef
from tests.certificates.conftest import pdf_text

CLERK = CurrentUser(1, "clerk", "窓口", 1, "test:clerk", (), frozenset({"certificates.edit"}), "s", False)
LAYOUT = services.Layout("富士市", "富士市長", "この写しは、住民票の原本と相違ないことを証明する。", 300)


def _tenant(app, slug):
    from tests.params.conftest import city

    return TenantRef.from_row(city(app, slug))


def test_numbers_run_per_fiscal_year_and_reprints_are_identical(app, people):
    atena = people.add("fuji")
    tenant = _tenant(app, "fuji")
    requester = services.Requester("高橋　一郎", "本人", "年金の手続き")
    with app.app_context(), get_db(app).session("t_fuji") as s:
        made = [
            services.issue_juminhyo(
                s, tenant, atena, services.JuminhyoOptions(), requester, CLERK, layout=LAYOUT, on=day
            )
            for day in (dt.date(2027, 3, 31), dt.date(2027, 4, 1), dt.date(2027, 4, 2))
        ]
        assert [m.number for m in made] == ["2026-000001", "2027-000001", "2027-000002"]
        again = services.render_pdf(made[0])
        assert again == services.render_pdf(made[0])  # drawn again: the same bytes
        issued = services.issued_pdf(made[0], tenant)  # the signed PDF, kept as issued
        assert hashlib.sha256(issued).hexdigest() == made[0].pdf_sha256
        assert "令和9年3月31日" in pdf_text(again)
        assert services.verify(s, made[1].number, codes.display_code(made[1].verification_code)).valid
        assert not services.verify(s, made[1].number, made[0].verification_code).valid
        with pytest.raises(CertificateError) as refused:
            services.issue_juminhyo(
                s, tenant, 424242, services.JuminhyoOptions(), requester, CLERK, layout=LAYOUT
            )
        assert refused.value.not_found
        s.rollback()


def test_codes_are_random_and_read_forgivingly():
    made = {codes.new_code() for _ in range(200)}
    assert len(made) == 200 and all(len(c) == 16 and set(c) <= set(codes.ALPHABET) for c in made)
    assert codes.clean_code(" abcd-efgh-jkmn-pqrs ") == "ABCDEFGHJKMNPQRS"
    assert codes.clean_code("o0il") == "0011"
    assert codes.clean_number("２０２６－０００００１") == "2026-000001"  # as typed on a Japanese keyboard
    assert codes.clean_number("2026-1") is None


def test_the_printer_marks_characters_the_font_lacks():
    out = Printer()
    assert out("高橋") == "高橋" and out.notes() == []
    # 𠮷 is an MJ glyph of IPAmj明朝; a private-use 外字 is in no font.
    assert out("\U00020bb7田") == "\U00020bb7田" and out("\ue000田") == "〓田"
    assert out("葛\U000e0100城") == "葛城"
    notes = " ".join(out.notes())
    assert "U+E000" in notes and "異体字" in notes
