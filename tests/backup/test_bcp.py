"""The emergency counter: a city's package served read-only, certificates issued with the banner and a
separate number, every other write refused, 支援措置 holding, and the merge adding the issuance once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from modules.certificates.models import Issuance
from modules.residents import protection
from tenant_core.backup.crypto import parse_key
from tenant_core.bcp.serve import close, emergency_app
from tenant_core.config import replaced
from tenant_core.extensions import get_db, get_settings
from tenant_core.japanese import japan_today
from tests.backup.conftest import KEY, build_rich_city, run
from tests.certificates.conftest import issue, pdf_text
from tests.conftest import csrf_token, sign_in


def _support(app, slug: str, atena: int) -> None:
    values = {
        "requested_on": japan_today(),
        "start_on": japan_today(),
        "offender_name": "加害 太郎",
        "offender_kana": "カガイ タロウ",
    }
    with app.app_context(), get_db(app).session(f"t_{slug}") as s:
        protection.register_support(s, atena, values, by="test:protector")
        s.commit()


def _issuances(db, slug="fuji"):
    with db.session(f"t_{slug}") as s:
        return [(i.number, i.serial) for i in s.scalars(sa.select(Issuance).order_by(Issuance.id))]


@pytest.fixture
def emergency(backup_app, tmp_path):
    made = build_rich_city(backup_app)
    _support(backup_app, "fuji", made["atena"])
    package = tmp_path / "fuji.kyodo-bcp"
    result = run(backup_app, "bcp", "snapshot", "fuji", "--out", str(package))
    assert "emergency package" in result.output
    key = parse_key(KEY)
    run_dir = tmp_path / "run"
    app = emergency_app(package, key, run_dir, base=get_settings(backup_app))
    yield {"app": app, "package": package, "key": key, "run_dir": run_dir, **made}


def test_the_emergency_counter_reads_issues_and_refuses_writes(backup_app, emergency):
    app = emergency["app"]
    atena = emergency["atena"]
    client = app.test_client()
    assert sign_in(client, "fuji", "clerk").status_code == 302
    portal = client.get("/fuji/").get_data(as_text=True)
    assert "緊急窓口モード" in portal
    found = client.get("/fuji/residents/", query_string={"kana": "タカハシ"}).get_data(as_text=True)
    assert "高橋" in found and "緊急窓口モード" in found
    token = csrf_token(client, "/fuji/inquiry/")
    second = emergency["second"]
    inquiry = client.post(
        "/fuji/inquiry/", data={"csrf_token": token, "atena_no": second, "purpose": "counter"}
    )
    assert inquiry.status_code == 200 and "佐藤" in inquiry.get_data(as_text=True)
    # The protected person stays out of the clerk's inquiry, as in the data centre (支援措置).
    hidden = client.post(
        "/fuji/inquiry/", data={"csrf_token": token, "atena_no": atena, "purpose": "counter"}
    )
    assert hidden.status_code == 404

    # 支援措置 hold at the counter as in the data centre: no certificate of the protected person here.
    refused = issue(
        client, "fuji", atena, requester_name="加害　太郎", requester_relation="第三者", purpose="債権回収"
    )
    assert refused.status_code in (404, 422)
    made = issue(client, "fuji", second, requester_name="佐藤　一郎")
    assert made.status_code == 302, made.get_data(as_text=True)[:300]
    numbers = _issuances(get_db(app))
    assert numbers[-1][1] == 900_001  # the emergency range: never a number the main system gives
    number = numbers[-1][0]
    pdf = client.get(f"/fuji/certificates/{number}/certificate.pdf")
    text = pdf_text(pdf.data)
    assert "緊急窓口モード" in text and number in text

    # Every other POST is refused, whatever it is, with the emergency message (the CSRF token is valid).
    allowed = app.extensions["kyodo.emergency_posts"]
    tried = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.endpoint in allowed or not rule.rule.startswith("/<tenant>"):
            continue
        values = {name: ("fuji" if name == "tenant" else "1") for name in rule.arguments}
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m, v=values: v[m.group(1)], rule.rule)
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code == 403, (rule.endpoint, response.status_code)
        assert "緊急窓口モードでは" in response.get_data(as_text=True), rule.endpoint
        tried += 1
    assert tried >= 10
    with get_db(app).session("t_fuji") as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Issuance)) == 2  # the page's one and this


def test_merge_adds_the_issuance_once_and_the_log_still_verifies(backup_app, emergency):
    app, package, key, run_dir = (emergency[k] for k in ("app", "package", "key", "run_dir"))
    client = app.test_client()
    assert sign_in(client, "fuji", "clerk").status_code == 302
    assert issue(client, "fuji", emergency["second"], requester_name="佐藤　一郎").status_code == 302
    close(app, package, key, run_dir)  # what was issued goes back into the encrypted package
    assert not run_dir.exists()

    main_db = get_db(backup_app)
    # The data centre issued one meanwhile: its own number stays, the counter's joins it.
    client = backup_app.test_client()
    assert sign_in(client, "fuji", "clerk").status_code == 302
    assert issue(client, "fuji", emergency["second"], requester_name="佐藤　一郎").status_code == 302
    before = _issuances(main_db)
    result = run(backup_app, "bcp", "merge", str(package))
    assert "certificate_issuances: 1 added" in result.output
    after = _issuances(main_db)
    assert len(after) == len(before) + 1 and after[-1][1] == 900_001
    again = run(backup_app, "bcp", "merge", str(package), ok=False)
    assert again.exit_code != 0 and "merged already" in again.output and "nothing changed" in again.output
    assert _issuances(main_db) == after
    assert "chain intact" in run(backup_app, "audit", "verify", "fuji").output
    with main_db.session("t_fuji") as s:
        from tenant_core.audit.models import AccessLog

        merged = s.scalars(sa.select(AccessLog).where(AccessLog.detail.startswith("緊急窓口"))).all()
        assert merged and all(e.seq is not None for e in merged)


def test_a_damaged_package_or_an_old_snapshot(backup_app, emergency, tmp_path):
    package = emergency["package"]
    data = bytearray(package.read_bytes())
    data[len(data) // 3] ^= 0x40
    broken = tmp_path / "broken.kyodo-bcp"
    broken.write_bytes(bytes(data))
    result = run(backup_app, "bcp", "merge", str(broken), ok=False)
    assert result.exit_code != 0 and "altered" in result.output
    old = emergency_app(
        package,
        emergency["key"],
        tmp_path / "run-old",
        base=replaced(get_settings(backup_app), emergency_max_age_days=0),
    )
    old.extensions["kyodo.emergency"] = type(old.extensions["kyodo.emergency"])(
        japan_today() - dt.timedelta(days=5), 3
    )
    client = old.test_client()
    assert sign_in(client, "fuji", "clerk").status_code == 302
    assert "日以上前のものです" in client.get("/fuji/").get_data(as_text=True)
