"""The access log written with the change it records, sealed afterwards, anchored outside the city's schema."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading

import pytest
import sqlalchemy as sa
from flask import Flask

from tenant_core import boundary
from tenant_core.app import create_app
from tenant_core.audit import chain
from tenant_core.audit import services as audit
from tenant_core.audit.models import AccessLog, AccessLogHead, PlatformAccessLog, PlatformAccessLogHead
from tenant_core.boundary import get_session
from tenant_core.cli import main
from tenant_core.config import ConfigError, replaced
from tenant_core.extensions import get_db, get_settings
from tenant_core.models import Notice
from tenant_core.permissions import public
from tenant_core.tenancy import find_tenant
from tests.conftest import sign_in


def _with_probe(app: Flask) -> Flask:
    """A city page that makes one business row (a notice) and records it, as a real change would."""

    @public
    def probe():
        session = get_session()
        notice = Notice(title="probe", publish_on=dt.date(2026, 12, 1))
        session.add(notice)
        session.flush()
        audit.record("change", target=f"notice:{notice.id}", detail="notice added")
        return {"id": notice.id}

    app.add_url_rule("/<tenant>/audit-probe", "audit_probe", probe)
    return app


def _verify(app, slug, *extra):
    args = ["audit", "verify", slug] if slug else ["audit", "verify", "--platform"]
    return app.test_cli_runner().invoke(main, [*args, *extra])


def _rows(app, slug="fuji"):
    with get_db(app).session(f"t_{slug}") as s:
        return list(s.scalars(sa.select(AccessLog).order_by(AccessLog.id)))


def _move_head(app, slug, **values):
    with get_db(app).connect(f"t_{slug}") as conn, conn.begin():
        conn.execute(sa.update(AccessLogHead).where(AccessLogHead.id == 1).values(**values))


def _delete(app, slug, condition):
    with get_db(app).connect(f"t_{slug}") as conn, conn.begin():
        conn.execute(sa.delete(AccessLog).where(condition))


def _signed_in_four_times(app):
    client = app.test_client()
    for _ in range(4):
        sign_in(client, "fuji", "clerk")
    return {r.seq: r.hash for r in _rows(app)}


def test_every_entry_is_sealed_when_the_response_leaves(fresh_app):
    app = fresh_app()
    hashes = _signed_in_four_times(app)
    assert sorted(hashes) == [1, 2, 3, 4]
    result = _verify(app, "fuji")
    assert result.exit_code == 0 and "4 entries verified" in result.output
    # The first seal of a city checkpoints its head into the platform chain.
    with get_db(app).session() as s:
        marks = list(s.scalars(sa.select(PlatformAccessLog).where(PlatformAccessLog.target == "tenant:fuji")))
    assert marks and marks[0].function == "checkpoint" and json.loads(marks[0].detail)["seq"] == 1
    assert _verify(app, None).exit_code == 0


def test_cutting_the_tail_and_moving_the_head_is_named(fresh_app):
    app = fresh_app()
    app.config["KYODO_AUDIT_CHECKPOINT_EVERY"] = 1  # every seal checkpoints
    hashes = _signed_in_four_times(app)
    _delete(app, "fuji", AccessLog.seq >= 3)
    _move_head(app, "fuji", last_seq=2, last_hash=hashes[2])
    result = _verify(app, "fuji")
    assert result.exit_code == 1 and "entries after seq 2 are missing" in result.output
    # Writing on after the cut does not hide it: the old checkpoints no longer match.
    sign_in(app.test_client(), "fuji", "clerk")
    result = _verify(app, "fuji")
    assert result.exit_code == 1 and "entry 3 differs from the platform checkpoint" in result.output
    assert _verify(app, "fujinomiya").exit_code == 0  # the other city's chain and anchors are its own


def test_cutting_the_oldest_entries_and_moving_the_base_is_named(fresh_app):
    app = fresh_app()
    hashes = _signed_in_four_times(app)
    # What purge does, without purge: delete the oldest rows and move the anchor past them.
    _delete(app, "fuji", AccessLog.seq <= 2)
    _move_head(app, "fuji", base_seq=2, base_hash=hashes[2])
    result = _verify(app, "fuji")
    assert result.exit_code == 1
    assert "entries before seq 3 removed without a purge record" in result.output


def test_deleting_a_middle_row_is_named(fresh_app):
    app = fresh_app()
    _signed_in_four_times(app)
    _delete(app, "fuji", AccessLog.seq == 3)
    result = _verify(app, "fuji")
    assert (
        result.exit_code == 1
        and "BROKEN at entry 3" in result.output
        and "entry 3 is missing" in result.output
    )


def test_a_purge_is_recorded_in_the_platform_chain(fresh_app):
    app = fresh_app()
    _signed_in_four_times(app)
    with get_db(app).connect("t_fuji") as conn, conn.begin():
        conn.execute(sa.update(AccessLog).where(AccessLog.seq <= 2).values(at=dt.datetime(2015, 1, 1)))
    result = app.test_cli_runner().invoke(main, ["audit", "purge", "fuji"])
    assert result.exit_code == 0 and "2 entries older than 5 years removed" in result.output
    with get_db(app).session() as s:
        record = s.scalars(sa.select(PlatformAccessLog).where(PlatformAccessLog.function == "purge")).one()
    facts = json.loads(record.detail)
    assert record.target == "tenant:fuji" and record.operator.startswith("cli:")
    assert (facts["from"], facts["to"], facts["count"]) == (1, 2, 2)
    assert "older than 5 years" in facts["rule"] and facts["by"] == record.operator
    result = _verify(app, "fuji")
    assert result.exit_code == 0 and "2 entries verified" in result.output


def test_an_unsealed_entry_older_than_the_grace_period_is_named(fresh_app):
    app = fresh_app()
    _signed_in_four_times(app)
    with app.app_context():
        tenant = find_tenant("fuji")
        with get_db(app).session(tenant.schema) as s:
            s.add(
                chain.new_entry(
                    AccessLog,
                    chain.chain_key(app.config["SECRET_KEY"], "tenant:fuji"),
                    {"operator": "-", "function": "view", "at": dt.datetime(2020, 1, 1)},
                )
            )
            s.commit()
    result = _verify(app, "fuji")
    assert result.exit_code == 1 and "was never sealed" in result.output
    assert app.test_cli_runner().invoke(main, ["audit", "seal", "fuji"]).exit_code == 0
    assert _verify(app, "fuji").exit_code == 0


def test_a_row_slipped_in_without_the_key_is_never_chained(fresh_app):
    app = fresh_app()
    _signed_in_four_times(app)
    with get_db(app).connect("t_fuji") as conn, conn.begin():
        conn.execute(
            sa.insert(AccessLog).values(
                operator="222101:clerk",
                function="view",
                at=dt.datetime.now(),
                mac="f" * 64,
                address="",
                user_agent="",
                screen="",
                detail="",
                outcome="ok",
                mynumber_shown=False,
            )
        )
    result = app.test_cli_runner().invoke(main, ["audit", "seal", "fuji"])
    assert "0 sealed" in result.output and "1 refused" in result.output
    result = _verify(app, "fuji")
    assert result.exit_code == 1 and "not written by Kyodo" in result.output


def _notices(app, slug="fuji"):
    with get_db(app).session(f"t_{slug}") as s:
        return [n.id for n in s.scalars(sa.select(Notice).where(Notice.title == "probe"))]


def _ok_entries(app, slug="fuji"):
    return [r for r in _rows(app, slug) if r.function == "change" and r.outcome == "ok"]


def test_a_change_and_its_entry_commit_together(fresh_app):
    app = _with_probe(fresh_app())
    response = app.test_client().get("/fuji/audit-probe")
    assert response.status_code == 200
    notice_id = response.get_json()["id"]
    assert _notices(app) == [notice_id]
    [entry] = _ok_entries(app)
    assert entry.target == f"notice:{notice_id}" and entry.seq is not None


@pytest.mark.parametrize("when", ["before the commit", "after the commit"])
def test_a_connection_lost_at_the_commit_leaves_both_or_neither(fresh_app, monkeypatch, when):
    app = _with_probe(fresh_app())
    real_commit = boundary._commit

    def lost(session):
        if when == "after the commit":
            real_commit(session)  # the database committed, the acknowledgement never arrived
        session.connection().invalidate()
        raise sa.exc.OperationalError("COMMIT", {}, ConnectionError("server closed the connection"))

    monkeypatch.setattr(boundary, "_commit", lost)
    app.config["TESTING"] = False  # answer 500 as in production instead of raising into the test
    response = app.test_client().get("/fuji/audit-probe")
    assert response.status_code == 500
    monkeypatch.setattr(boundary, "_commit", real_commit)
    notices, ok = _notices(app), _ok_entries(app)
    if when == "before the commit":
        assert notices == [] and ok == []
    else:
        assert len(notices) == 1 and [e.target for e in ok] == [f"notice:{notices[0]}"]
    # Either way the attempt itself is on record, as failed, and the chain holds.
    failed = [r for r in _rows(app) if r.function == "change" and r.outcome == "failed"]
    assert len(failed) == 1 and failed[0].detail.startswith("not saved")
    assert _verify(app, "fuji").exit_code == 0


def test_concurrent_requests_leave_every_entry_sealed_in_one_chain(fresh_app, backend):
    if backend != "postgres":
        pytest.skip("SQLite has one writer at a time: concurrency is PostgreSQL's")
    app = _with_probe(fresh_app(db_pool_size=20))
    errors: list[int] = []

    def hammer():
        client = app.test_client()
        for _ in range(15):
            status = client.get("/fuji/audit-probe").status_code
            if status != 200:
                errors.append(status)

    threads = [threading.Thread(target=hammer) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    rows = _rows(app)
    assert len(_notices(app)) == 180 and len(_ok_entries(app)) == 180
    assert all(r.seq is not None for r in rows)
    assert sorted(r.seq for r in rows) == list(range(1, len(rows) + 1))
    result = _verify(app, "fuji")
    assert result.exit_code == 0 and f"{len(rows)} entries verified" in result.output


def test_another_key_is_refused_at_start_and_rekey_reanchors(fresh_app, tmp_path):
    app = fresh_app()
    _signed_in_four_times(app)
    sign_in(app.test_client(), None, "operator")
    other = replaced(get_settings(app), secret_key="another-secret")
    with pytest.raises(ConfigError, match="KYODO_SECRET_KEY"):
        create_app(other)
    with audit.key_check_skipped():
        rekeyed = create_app(other)
    old_key_file = tmp_path / "old-key"
    old_key_file.write_text(app.config["SECRET_KEY"])
    try:
        result = rekeyed.test_cli_runner().invoke(
            main, ["audit", "rekey", "--old-key-file", str(old_key_file)]
        )
        assert result.exit_code == 0, result.output
        assert "fuji: 4 entries re-anchored" in result.output and "platform:" in result.output
        for slug in ("fuji", "fujinomiya", None):
            assert _verify(rekeyed, slug).exit_code == 0
        get_db(create_app(other)).engine.dispose()  # the new key now starts
        with get_db(rekeyed).session() as s:
            assert s.scalars(
                sa.select(PlatformAccessLog).where(PlatformAccessLog.function == "rekey")
            ).first()
        # ... and the old one is refused in its turn.
        with pytest.raises(ConfigError, match="KYODO_SECRET_KEY"):
            create_app(get_settings(app))
    finally:
        get_db(rekeyed).engine.dispose()


def test_a_signed_checkpoint_file_names_a_cut_tail(fresh_app, tmp_path):
    app = fresh_app()
    runner = app.test_cli_runner()
    private, public_key, out = tmp_path / "sign.pem", tmp_path / "sign.pub", tmp_path / "cp.json"
    assert (
        runner.invoke(
            main, ["audit", "keygen", "--private", str(private), "--public", str(public_key)]
        ).exit_code
        == 0
    )
    hashes = _signed_in_four_times(app)
    result = runner.invoke(
        main,
        ["audit", "checkpoint", "--all", "--out", str(out)],
        env={"KYODO_AUDIT_SIGNING_KEY_FILE": str(private)},
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    heads = {c["chain"]: c["seq"] for c in document["payload"]["chains"]}
    assert heads["tenant:fuji"] == 4 and "tenant:fujinomiya" in heads and "platform" in heads
    check = ["--checkpoint", str(out), "--public-key", str(public_key)]
    assert _verify(app, "fuji", *check).exit_code == 0
    # Cut the city's tail: the platform checkpoint and the signed file both name it.
    _delete(app, "fuji", AccessLog.seq == 4)
    _move_head(app, "fuji", last_seq=3, last_hash=hashes[3])
    with app.app_context():
        signed = audit.read_signed_checkpoint(document, public_key.read_bytes())
        outcome = audit._against_file(
            dataclasses.replace(audit.chain.VerifyResult(True, 3), last_seq=3), signed, "tenant:fuji", []
        )
    assert not outcome.ok and "entries after seq 3 are missing (the signed checkpoint" in outcome.problem
    result = _verify(app, "fuji", *check)
    assert result.exit_code == 1 and "entries after seq 3 are missing" in result.output
    # Cut the platform chain's own tail: it verifies on its own, only the signed file still knows.
    platform_seq = heads["platform"]
    with get_db(app).connect() as conn, conn.begin():
        prev = conn.execute(
            sa.select(PlatformAccessLog.hash).where(PlatformAccessLog.seq == platform_seq - 1)
        ).scalar()
        conn.execute(sa.delete(PlatformAccessLog).where(PlatformAccessLog.seq >= platform_seq))
        conn.execute(sa.update(PlatformAccessLogHead).values(last_seq=platform_seq - 1, last_hash=prev))
    assert _verify(app, None).exit_code == 0
    result = _verify(app, None, *check)
    assert result.exit_code == 1 and f"entries after seq {platform_seq - 1} are missing" in result.output
    # A file altered after signing is refused.
    document["payload"]["chains"][0]["seq"] = 1
    out.write_text(json.dumps(document))
    result = _verify(app, "fuji", *check)
    assert result.exit_code == 1 and "signature does not verify" in result.output


def test_a_head_that_differs_from_the_signed_file_is_named():
    signed = {
        "made_at": "2026-12-01T10:00:00",
        "chains": [{"chain": "tenant:fuji", "seq": 4, "hash": "a" * 64, "at": "x"}],
    }
    rewritten = chain.VerifyResult(True, 4, last_seq=4, hashes={4: "b" * 64})
    outcome = audit._against_file(rewritten, signed, "tenant:fuji", [])
    assert not outcome.ok and "entry 4 differs from the signed checkpoint" in outcome.problem
    # A re-key after the file was signed changes every hash: then only the length is compared.
    later = dt.datetime(2026, 12, 2)
    assert audit._against_file(
        chain.VerifyResult(True, 4, last_seq=4, hashes={4: "b" * 64}), signed, "tenant:fuji", [later]
    ).ok
