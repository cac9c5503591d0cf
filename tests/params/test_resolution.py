"""Three levels, effective dates, one query per request, many cities at once, the core settings."""

import datetime as dt

import pytest
import sqlalchemy as sa

from tenant_core.auth.services import policy_for_tenant
from tenant_core.extensions import get_db
from tenant_core.params import changes, resolution
from tenant_core.params.changes import Actor
from tenant_core.params.models import ParamVersion
from tenant_core.params.registry import UnknownParameter
from tenant_core.params.resolution import ParamSet, Row, param, params_for
from tests.params.conftest import city, set_param

TODAY = dt.date(2026, 2, 10)
APRIL = dt.date(2026, 4, 1)


def _consortium_change(app, key, value, actor=None, **kw):
    fuji = city(app, "fuji")
    with get_db(app).session() as s:
        changes.change(
            s,
            key,
            value,
            tenant_id=None,
            consortium_id=fuji.consortium_id,
            actor=actor or Actor("fuji:jimukyoku", "consortium"),
            reason="協議会で統一",
            **kw,
        )
        s.commit()


def test_default_then_consortium_then_city(app, db_connection):
    fuji, nomiya = city(app, "fuji"), city(app, "fujinomiya")
    key = "certificates.fee.inkan"
    with get_db(app).session() as s:
        assert resolution.load_param_set(s, fuji.id, fuji.consortium_id).resolve(key).source == "default"
    _consortium_change(app, key, 320)
    set_param(app, "fujinomiya", key, 350)
    with get_db(app).session() as s:
        a = resolution.load_param_set(s, fuji.id, fuji.consortium_id).resolve(key)
        b = resolution.load_param_set(s, nomiya.id, nomiya.consortium_id).resolve(key)
    assert (a.value, a.source) == (320, "consortium")
    assert (b.value, b.source) == (350, "city")


def test_a_fee_decided_in_february_applies_from_april(app, db_connection):
    fuji = city(app, "fuji")
    key = "certificates.fee.juminhyo"
    with get_db(app).session() as s:
        changes.change(
            s,
            key,
            300,
            tenant_id=fuji.id,
            consortium_id=fuji.consortium_id,
            actor=Actor("fuji:admin"),
            reason="現行額",
            on=TODAY,
        )
        changes.change(
            s,
            key,
            400,
            tenant_id=fuji.id,
            consortium_id=fuji.consortium_id,
            actor=Actor("fuji:admin"),
            reason="手数料条例の改正",
            legal_basis="富士市手数料条例第2条",
            effective_from=APRIL,
            on=TODAY,
        )
        ps = resolution.load_param_set(s, fuji.id, fuji.consortium_id)
    assert ps.value(key, TODAY) == 300
    assert ps.value(key, APRIL - dt.timedelta(days=1)) == 300
    assert ps.value(key, APRIL) == 400
    assert [r.effective_from for r in ps.pending(key, TODAY)] == [APRIL]
    assert ps.pending(key, APRIL) == []


def test_a_reset_returns_to_the_inherited_value():
    rows = [
        Row(1, "consortium", None, 7, "certificates.fee.inkan", 320, False, dt.date(2020, 1, 1)),
        Row(2, "tenant", 1, 7, "certificates.fee.inkan", 350, False, dt.date(2021, 1, 1)),
        Row(3, "tenant", 1, 7, "certificates.fee.inkan", None, True, dt.date(2022, 1, 1)),
        Row(4, "tenant", 2, 7, "certificates.fee.inkan", 999, False, dt.date(2020, 1, 1)),  # another city
    ]
    ps = ParamSet.of(1, 7, rows)
    assert ps.resolve("certificates.fee.inkan", dt.date(2019, 1, 1)).source == "default"
    assert ps.value("certificates.fee.inkan", dt.date(2020, 6, 1)) == 320
    assert ps.value("certificates.fee.inkan", dt.date(2021, 6, 1)) == 350
    assert ps.resolve("certificates.fee.inkan", dt.date(2022, 6, 1)).source == "consortium"


def test_one_query_per_request_for_every_parameter(app, staff_client, demo_params):
    client = staff_client("fuji", "admin")
    statements = []
    engine = get_db(app).engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get("/fuji/api/params")
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    assert len(response.get_json()["params"]) >= 14
    reads = [s for s in statements if "param_versions" in s]
    # The security policy (sign-in check) and every value of the page share one load.
    assert len(reads) == 1, reads


def test_param_in_a_request_and_unknown_keys(app, staff_client, demo_params):
    with app.test_request_context("/fuji/"):
        from flask import g

        from tenant_core.tenancy import find_tenant

        g.tenant = find_tenant("fujinomiya")
        assert param("certificates.fee.juminhyo") == 350
        assert param("certificates.mayor_title") == "富士宮市長"
        assert param("core.session_idle_minutes") == 20
        with pytest.raises(UnknownParameter):
            param("certificates.fee.typo")


def test_params_for_many_cities_at_a_past_date(app, db_connection):
    fuji, nomiya = city(app, "fuji"), city(app, "fujinomiya")
    with get_db(app).session() as s:
        # History written directly: the service refuses past dates by design.
        s.add_all(
            [
                ParamVersion(
                    scope="tenant",
                    tenant_id=fuji.id,
                    consortium_id=fuji.consortium_id,
                    key="certificates.fee.juminhyo",
                    value=200,
                    reset=False,
                    effective_from=dt.date(2015, 4, 1),
                    created_by="t",
                    reason="当時の額",
                ),
                ParamVersion(
                    scope="tenant",
                    tenant_id=fuji.id,
                    consortium_id=fuji.consortium_id,
                    key="certificates.fee.juminhyo",
                    value=300,
                    reset=False,
                    effective_from=dt.date(2019, 4, 1),
                    created_by="t",
                    reason="改定",
                ),
            ]
        )
        s.flush()
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa.event.listen(get_db(app).engine, "before_cursor_execute", listener)
        try:
            result = params_for(s, [fuji.id, nomiya.id], "certificates.fee.juminhyo", on=dt.date(2018, 1, 1))
        finally:
            sa.event.remove(get_db(app).engine, "before_cursor_execute", listener)
        assert len(statements) == 2
    assert result[fuji.id].value == 200 and result[fuji.id].source == "city"
    assert result[nomiya.id].value == 300 and result[nomiya.id].source == "default"


def test_the_core_settings_come_from_the_layer(app, db_connection):
    fuji = city(app, "fuji")
    with get_db(app).session() as s:
        from tenant_core.models import Tenant

        tenant = s.get(Tenant, fuji.id)
        assert policy_for_tenant(tenant).session_idle_minutes == 30  # tenant.toml, synced
        nomiya = s.scalar(sa.select(Tenant).where(Tenant.slug == "fujinomiya"))
        assert policy_for_tenant(nomiya).session_idle_minutes == 20
        versions = s.scalars(
            sa.select(ParamVersion).where(ParamVersion.tenant_id == fuji.id, ParamVersion.key.like("core.%"))
        ).all()
        assert versions and {v.reason for v in versions} == {"tenant.toml"}
    set_param(app, "fuji", "core.password_min_length", 16, reason="規程改正")
    with get_db(app).session() as s:
        assert policy_for_tenant(s.get(Tenant, fuji.id)).password_min_length == 16


def test_syncing_the_declarations_again_writes_nothing(app, db_connection):
    from tenant_core.declarations import load_declarations
    from tenant_core.extensions import get_settings
    from tenant_core.provisioning import TenantSpec, sync_tenants

    def count():
        with get_db(app).session() as s:
            return s.scalar(sa.select(sa.func.count()).select_from(ParamVersion))

    before = count()
    specs = [TenantSpec.from_declaration(d) for d in load_declarations(get_settings(app).tenants_dir)]
    sync_tenants(get_db(app), specs)
    assert count() == before


def test_the_modules_enabled_for_the_city_are_a_parameter(app, staff_client):
    set_param(app, "fujinomiya", "core.modules_enabled", ["residents", "inquiry"], actor=Actor.platform())
    page = staff_client("fujinomiya", "clerk").get("/fujinomiya/").get_data(as_text=True)
    assert 'data-module="inquiry"' in page and 'data-module="seals"' not in page


def test_a_fuji_session_cannot_read_fujinomiya_values(app, staff_client):
    client = staff_client("fuji", "admin")
    assert client.get("/fujinomiya/api/params").status_code == 403
    assert client.get("/fujinomiya/admin/params/certificates.fee.juminhyo").status_code == 403
