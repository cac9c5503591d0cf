"""Export in the layout: the round trip (import of an export gives an identical register), the state
on a date, and the hand-over with its manifest."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import sqlalchemy as sa

from modules.migration.exporting import DatabaseSource, export, handover
from modules.residents.public import Vault, iter_register
from modules.seals.models import SealRegistration
from tests.migration.conftest import family
from tests.migration.test_bad_input import _png, _seals


def _register(migrator, app, slug: str) -> list[tuple]:
    with migrator.session(slug) as s:
        vault = Vault.for_city(app.config["SECRET_KEY"], slug)
        return [
            (o.atena_no, o.household_no, tuple(sorted(o.items.items())), o.mynumber)
            for o in iter_register(s, vault)
            if o.atena_no >= 100000
        ]


def _seal_rows(migrator, slug: str) -> list[tuple]:
    with migrator.session(slug) as s:
        return [
            (
                r.registration_no,
                r.atena_no,
                r.registered_on,
                r.status,
                r.abolished_on,
                r.lost_on,
                r.image_sha256,
            )
            for r in s.scalars(sa.select(SealRegistration).order_by(SealRegistration.registration_no))
            if r.registration_no.startswith("S")
        ]


def test_round_trip(migrator, app):
    seals, archive = _seals(
        migrator,
        [
            ["S001", "100001", "20100101", "1", "", "a.png"],
            ["S002", "100005", "20100101", "4", "20200301", ""],
        ],
        {"a.png": _png()},
    )
    first = migrator.run("fujinomiya", migrator.file(family()), seals=seals, images=archive)
    assert first.added == 7 and first.seals_added == 2
    out = migrator.tmp / "export"
    with migrator.session("fujinomiya") as s:
        vault = Vault.for_city(app.config["SECRET_KEY"], "fujinomiya")
        done = export(DatabaseSource(s, vault), out, slug="fujinomiya")
    ours = [row for row in _register(migrator, app, "fujinomiya")]
    # The export read back into another city (empty of these numbers): the same register.
    again = migrator.run(
        "fuji",
        out / "residents_fujinomiya.csv",
        seals=out / "seals_fujinomiya.csv",
        images=out / "seal_images_fujinomiya.zip",
    )
    assert again.problems == [] and again.added == done.persons
    theirs = _register(migrator, app, "fuji")
    fuji_vault, ours_vault = "fuji", "fujinomiya"
    assert fuji_vault != ours_vault
    assert [r for r in theirs if r[0] in {o[0] for o in ours}] == ours
    assert _seal_rows(migrator, "fuji") == _seal_rows(migrator, "fujinomiya")
    # And the export of the copy is the same file, byte for byte.
    out2 = migrator.tmp / "export2"
    with migrator.session("fujinomiya") as s:
        export(DatabaseSource(s, Vault.for_city(app.config["SECRET_KEY"], "fujinomiya")), out2, slug="x")
    assert (out / "residents_fujinomiya.csv").read_bytes() == (out2 / "residents_x.csv").read_bytes()
    # Re-importing the export into its own city changes nothing.
    same = migrator.run("fujinomiya", out / "residents_fujinomiya.csv")
    assert (same.added, same.corrected) == (0, 0)


def test_export_as_of_a_date(migrator, app):
    migrator.run("fujinomiya", migrator.file(family()))
    import datetime as dt

    out = migrator.tmp / "asof"
    with migrator.session("fujinomiya") as s:
        export(
            DatabaseSource(s, Vault.for_city(app.config["SECRET_KEY"], "fujinomiya")),
            out,
            slug="f",
            as_of=dt.date(2020, 12, 31),
        )
    rows = {
        r["宛名番号"]: r
        for r in csv.DictReader(io.StringIO((out / "residents_f.csv").read_text(encoding="utf-8-sig")))
    }
    assert rows["100005"]["状態"] == "2"  # moved out 2020-03-01
    assert rows["100006"]["状態"] == "1" and rows["100006"]["消除年月日"] == ""  # died 2021-04-01


def test_handover_manifest(migrator, app, monkeypatch):
    migrator.run("fujinomiya", migrator.file(family()))
    out = migrator.tmp / "handover"
    with migrator.session("fujinomiya") as s:
        path = handover(
            DatabaseSource(s, Vault.for_city(app.config["SECRET_KEY"], "fujinomiya")),
            out,
            slug="fujinomiya",
            origin="database",
        )
    manifest = json.loads(path.read_text(encoding="utf-8"))
    assert manifest["layout"] == "residents-v1" and manifest["persons"] >= 7
    for f in manifest["files"]:
        assert hashlib.sha256((out / f["name"]).read_bytes()).hexdigest() == f["sha256"]
    assert manifest["source"] == "database" and "backup" not in manifest


def test_cli_export_and_handover_refuses_without_backup(app, db_connection, tmp_path):
    from tenant_core.backup.crypto import generate_key
    from tenant_core.cli import main

    runner = app.test_cli_runner()
    key_file = tmp_path / "backup.key"
    key_file.write_text(generate_key())
    args = ["migrate", "handover", "fujinomiya", "--from-backup", "--key-file", str(key_file)]
    result = runner.invoke(main, [*args, "--out", str(tmp_path / "h")])
    # No archive of the city in the backup folder (tests/migration/test_handover_backup.py has the rest).
    assert result.exit_code == 4 and "バックアップが" in result.output and "Traceback" not in result.output
    result = runner.invoke(main, ["migrate", "export", "nosuchcity", "--out", str(tmp_path / "x")])
    assert result.exit_code == 1
