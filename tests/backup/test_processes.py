"""The commands that run as long-lived processes, run for real: ``kyodo bcp serve`` answering on a port
from a package, and ``kyodo backup scheduler`` registering the nightly run with rq's cron scheduler."""

from __future__ import annotations

import http.cookiejar
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tenant_core.backup import schedule
from tenant_core.extensions import get_db, get_settings
from tests import factories
from tests.backup.conftest import KEY, run
from tests.conftest import csrf_token_in
from tests.seals.conftest import Seals

KYODO = str(Path(sys.executable).parent / "kyodo")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(app: Any, **extra: str) -> dict[str, str]:
    from tenant_core.config import PROJECT_ROOT

    settings = get_settings(app)
    env = {k: v for k, v in os.environ.items() if not k.startswith("KYODO_")}
    return {
        **env,
        "PYTHONPATH": str(PROJECT_ROOT),
        "KYODO_ENV": "test",
        "KYODO_SECRET_KEY": app.config["SECRET_KEY"],  # the key that sealed the city's access log
        "KYODO_BACKUP_KEY": KEY,
        "KYODO_TENANTS_DIR": str(settings.tenants_dir),
        **extra,
    }


def _until(check: Callable[[], Any], seconds: float, process: subprocess.Popen[Any]) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the process ended early with {process.returncode}")
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"nothing within {seconds} s")


def _stop(process: subprocess.Popen[Any]) -> int:
    """Ctrl-C, as an operator stops it; killed if it does not end in time."""
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail("the process did not stop on SIGINT")


@pytest.fixture
def once(backend: str) -> None:
    """Before the app is built: these run once (the package is SQLite whatever the source, and rq's
    registration does not depend on the database)."""
    if backend != "sqlite":
        pytest.skip("run once, on the SQLite backend")


def test_bcp_serve_answers_on_a_port_from_the_package(once, backup_app, tmp_path):
    app = backup_app
    with app.app_context():
        Seals(app).add("fuji")  # 高橋
    package = tmp_path / "fuji.kyodo-bcp"
    run(app, "bcp", "snapshot", "fuji", "--out", str(package))
    before = package.stat().st_mtime_ns
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [KYODO, "bcp", "serve", str(package), "--port", str(port)],
            env=_env(app, KYODO_VAR_DIR=str(tmp_path / "var-serve")),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(path: str) -> str:
        with opener.open(base + path, timeout=5) as response:
            return str(response.read().decode())

    try:
        page = _until(lambda: get("/fuji/login"), 15, process)
        assert "緊急窓口モード" in page
        form = {
            "login": "clerk",
            "password": factories.PASSWORD,
            "csrf_token": csrf_token_in(page, "/fuji/login"),
        }
        with opener.open(base + "/fuji/login", urllib.parse.urlencode(form).encode(), timeout=5) as response:
            assert response.url.rstrip("/").endswith("/fuji")  # the redirect after signing in
        found = get("/fuji/residents/?" + urllib.parse.urlencode({"kana": "タカハシ"}))
        assert "高橋" in found and "緊急窓口モード" in found
    finally:
        code = _stop(process)
    output = log.read_text()
    assert code == 0, output
    assert "kyodo bcp merge" in output  # what it recorded went back into the package
    assert package.stat().st_mtime_ns > before


def test_backup_scheduler_registers_the_nightly_run_with_rq(once, fresh_app, redis_url, tmp_path):
    from redis import Redis
    from rq.cron import CronScheduler

    app = fresh_app(demo=False)
    connection = Redis.from_url(redis_url)
    db_url = get_db(app).engine.url.render_as_string(hide_password=False)
    env = _env(
        app,
        KYODO_DATABASE_URL=db_url,
        KYODO_REDIS_URL=redis_url,
        KYODO_VAR_DIR=str(get_settings(app).var_dir),
        KYODO_BACKUP_AT="19:30",
    )
    log = tmp_path / "scheduler.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [KYODO, "backup", "scheduler"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        name = f"kyodo-backup:{process.pid}"
        found = _until(lambda: [s for s in CronScheduler.all(connection) if s.name == name], 15, process)
        jobs = {j.func_name: j for j in found[0].get_jobs()}  # the modules' scheduled work beside it
        nightly = jobs[f"{schedule.__name__}.nightly"]
        assert nightly.queue_name == "high" and nightly.cron == schedule.cron_expression("19:30")
    finally:
        code = _stop(process)
    assert code == 0, log.read_text()
    assert name not in [s.name for s in CronScheduler.all(connection)]  # it said goodbye
