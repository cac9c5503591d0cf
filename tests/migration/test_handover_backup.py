"""The 72-hour hand-over from a city's backup with the database down (``kyodo migrate handover
--from-backup``): the same files as from the database, the archive named in the manifest, the
database never contacted, and a clear refusal (exit 4, no traceback, nothing written) for a wrong key,
a damaged archive, no archive, another city's archive or another installation's secret."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from tenant_core.backup.crypto import generate_key
from tenant_core.cli import main
from tenant_core.extensions import get_settings
from tests.conftest import build_app, dispose_app, make_settings
from tests.migration.conftest import Migrator, family, person
from tests.migration.test_bad_input import _png, _seals

KEY = generate_key()
OTHER_KEY = generate_key()
CLOSED = "postgresql+psycopg://postgres@127.0.0.1:1/none"  # nothing listens on port 1
# The other city's persons carry a name the hand-over of the first must never hold.
MARKER = "乙川"


@dataclass
class City:
    app: Flask
    tmp: Path
    backups: Path
    archive: Path  # fujinomiya's archive
    other: Path  # fuji's archive


def _invoke(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(main, list(args))


@pytest.fixture(scope="module")
def city(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[City]:
    """富士宮市 with a family, 除票, a seal and its image; 富士市 with persons of its own; a backup of each."""
    tmp = tmp_path_factory.mktemp(f"handover-{backend}")
    app = build_app(make_settings(backend, tmp / "var", backup_key=KEY))
    try:
        migrator = Migrator(app, tmp)
        seals, images = _seals(
            migrator, [["S001", "100001", "20100101", "1", "", "a.png"]], {"a.png": _png()}
        )
        done = migrator.run("fujinomiya", migrator.file(family()), seals=seals, images=images)
        assert (done.added, done.seals_added) == (7, 1), done.problems
        theirs = [
            person(宛名番号="200001", 世帯番号="600001", 氏=MARKER, 氏_フリガナ="オツカワ"),
            person(宛名番号="200002", 世帯番号="600002", 氏=MARKER, 氏_フリガナ="オツカワ", 名="二郎"),
        ]
        assert migrator.run("fuji", migrator.file(theirs)).added == 2
        for slug in ("fujinomiya", "fuji"):
            result = _invoke(app, "tenants", "backup", slug)
            assert result.exit_code == 0, result.output
        backups = get_settings(app).resolved_backup_dir
        (archive,) = backups.glob("fujinomiya-*.kyodo-backup")
        (other,) = backups.glob("fuji-*.kyodo-backup")
        yield City(app, tmp, backups, archive, other)
    finally:
        dispose_app(app)


def _down_env(city: City, **extra: str | None) -> dict[str, str | None]:
    """The environment of an operator whose database is unreachable: only the backup folder remains."""
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("KYODO_")}
    settings = get_settings(city.app)
    env.update(
        KYODO_ENV="test",
        KYODO_DATABASE_URL=CLOSED,
        KYODO_VAR_DIR=str(city.tmp / "operator-var"),
        KYODO_TENANTS_DIR=str(settings.tenants_dir),
        KYODO_SECRET_KEY=city.app.config["SECRET_KEY"],  # the installation's secret: the vault's key
        KYODO_BACKUP_KEY=KEY,
        KYODO_BACKUP_DIR=str(city.backups),
    )
    env.update(extra)
    return env


def _down(city: City, *args: str, **env: str | None) -> Result:
    """``kyodo ...`` started as the operator starts it (its own app, from the environment), database down."""
    return CliRunner().invoke(main, list(args), env=_down_env(city, **env))


def _handover(city: City, *options: str, **env: str | None) -> Result:
    """``kyodo migrate handover fujinomiya ...`` with the database down."""
    return _down(city, "migrate", "handover", "fujinomiya", *options, **env)


def _refused(result: Result, *words: str) -> str:
    assert result.exit_code == 4, result.output
    assert isinstance(result.exception, SystemExit)  # a message, not an exception
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.stderr, result.stderr
    return result.stderr


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != "manifest.json"}


def _manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_from_the_backup_with_the_database_down_the_same_files(city: City) -> None:
    from_db = city.tmp / "from-db"
    result = _invoke(city.app, "migrate", "handover", "fujinomiya", "--out", str(from_db))
    assert result.exit_code == 0, result.output
    from_backup = city.tmp / "from-backup"
    result = _handover(city, "--from-backup", "--out", str(from_backup))
    assert result.exit_code == 0, result.output
    assert city.archive.name in result.output and "時間前" in result.output

    assert _files(from_backup) == _files(from_db)
    assert set(_files(from_db)) == {
        "residents_fujinomiya.csv",
        "seals_fujinomiya.csv",
        "seal_images_fujinomiya.zip",
    }
    residents = (from_backup / "residents_fujinomiya.csv").read_text(encoding="utf-8-sig")
    assert "123456789018" in residents  # the 個人番号, read with the city's vault without the database
    assert MARKER not in residents  # nothing of the other city
    ours, theirs = _manifest(from_db), _manifest(from_backup)
    assert (ours["source"], theirs["source"]) == ("database", "backup")
    assert "backup" not in ours
    for varying in ("written_at", "source", "backup"):
        ours.pop(varying, None)
        theirs.pop(varying, None)
    assert ours == theirs  # the counts and every file's checksum
    assert theirs["persons"] == 7 and theirs["seals"] == 1
    # The receiver knows which archive the data came from, and how old it is.
    backup = _manifest(from_backup)["backup"]
    assert backup["file"] == city.archive.name
    assert backup["sha256"] == hashlib.sha256(city.archive.read_bytes()).hexdigest()
    stamp = dt.datetime.strptime(city.archive.name.split("-")[1], "%Y%m%dT%H%M%SZ.kyodo")
    made = dt.datetime.fromisoformat(backup["made_at"].removesuffix("Z"))
    assert dt.timedelta(0) <= made - stamp <= dt.timedelta(minutes=1)  # the archive's own creation time
    assert not list(city.tmp.glob(".kyodo-handover-*"))  # the decrypted copy is gone


def test_the_database_is_never_contacted(city: City) -> None:
    """The real ``kyodo`` with a database that accepts connections and never answers: a start-up or a
    command that touched it would hang; the hand-over finishes, and nothing ever connected."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KYODO_")},
        **{k: v for k, v in _down_env(city).items() if v is not None},
        "KYODO_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{port}/none",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    out = city.tmp / "hung-db"
    kyodo = str(Path(sys.executable).parent / "kyodo")
    try:
        done = subprocess.run(
            [kyodo, "migrate", "handover", "fujinomiya", "--from-backup", "--out", str(out)],
            env=env,
            capture_output=True,
            text=True,
            timeout=90,
        )
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()  # no connection waits in the backlog
    finally:
        listener.close()
    assert done.returncode == 0, done.stderr
    assert _manifest(out)["persons"] == 7


def test_a_wrong_backup_key_is_refused(city: City, tmp_path: Path) -> None:
    key_file = tmp_path / "other.key"
    key_file.write_text(OTHER_KEY)
    out = tmp_path / "h"
    result = _handover(
        city,
        "--from-backup",
        "--key-file",
        str(key_file),
        "--out",
        str(out),
    )
    _refused(result, "鍵が違います", city.archive.name)
    assert not out.exists()
    result = _handover(city, "--from-backup", "--out", str(out), KYODO_BACKUP_KEY=None)
    _refused(result, "鍵を読めません", "KYODO_BACKUP_KEY")


def test_a_damaged_archive_is_refused_and_the_one_before_offered(city: City, tmp_path: Path) -> None:
    folder = tmp_path / "backups" / "fujinomiya"  # the nightly jobs' folder of the city
    folder.mkdir(parents=True)
    older = folder / "fujinomiya-20261130T103000Z.kyodo-backup"
    shutil.copy(city.archive, older)
    damaged = folder / "fujinomiya-20261201T103000Z.kyodo-backup"
    data = bytearray(city.archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged.write_bytes(bytes(data))
    out = tmp_path / "h"
    result = _handover(city, "--from-backup", "--out", str(out), KYODO_BACKUP_DIR=str(tmp_path / "backups"))
    message = _refused(result, "壊れているか、改ざんされています", damaged.name, "--backup", str(older))
    assert "altered" in message
    assert not out.exists() and not list(tmp_path.glob(".kyodo-handover-*"))
    # The operator takes the one before, as the message says.
    result = _handover(city, "--backup", str(older), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert _manifest(out)["backup"]["file"] == older.name
    # A file cut short is refused the same way.
    cut = tmp_path / "cut.kyodo-backup"
    cut.write_bytes(city.archive.read_bytes()[:-100])
    result = _handover(city, "--backup", str(cut), "--out", str(tmp_path / "h2"))
    _refused(result, "壊れているか", "truncated")


def test_no_backup_at_all_is_refused(city: City, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "h"
    result = _handover(city, "--from-backup", "--out", str(out), KYODO_BACKUP_DIR=str(empty))
    _refused(result, "fujinomiya のバックアップが", str(empty), "ありません")
    result = _handover(city, "--backup", str(tmp_path / "nothing.kyodo-backup"))
    _refused(result, "nothing.kyodo-backup", "ありません")
    assert not out.exists()


def test_another_citys_archive_is_refused(city: City, tmp_path: Path) -> None:
    # fuji's hand-over from its own archive holds only its persons...
    out = tmp_path / "fuji"
    result = _down(city, "migrate", "handover", "fuji", "--from-backup", "--out", str(out))
    assert result.exit_code == 0, result.output
    residents = (out / "residents_fuji.csv").read_text(encoding="utf-8-sig")
    assert residents.count(MARKER) == 2 and "123456789018" not in residents and "SMITH" not in residents
    # ...and fujinomiya's archive never gives fuji's hand-over, named or found in the folder.
    result = _down(
        city, "migrate", "handover", "fuji", "--backup", str(city.archive), "--out", str(tmp_path / "x")
    )
    _refused(result, city.archive.name, "fujinomiya のもので", "fuji のものではありません")
    only = tmp_path / "only-fujinomiya"
    only.mkdir()
    shutil.copy(city.archive, only / city.archive.name)
    result = _down(
        city,
        "migrate",
        "handover",
        "fuji",
        "--from-backup",
        "--out",
        str(tmp_path / "y"),
        KYODO_BACKUP_DIR=str(only),
    )
    _refused(result, "fuji のバックアップが", "ありません")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_another_installations_secret_is_refused(city: City, tmp_path: Path) -> None:
    """With another secret the 個人番号 would not decrypt: the restore refuses the archive's sealed log."""
    result = _handover(
        city,
        "--from-backup",
        "--out",
        str(tmp_path / "h"),
        KYODO_SECRET_KEY="another-secret",
    )
    _refused(result, "復元できません", "KYODO_SECRET_KEY")
    assert not (tmp_path / "h").exists()


def test_a_bad_slug_is_refused(city: City) -> None:
    result = _down(city, "migrate", "handover", "../fuji", "--from-backup")
    _refused(result, "識別名")
