"""gunicorn on a Kyodo checkout, for the benchmarks that load it over HTTP on the loopback.

Kept apart from ``benchkit`` on purpose: a benchmark may run against an older checkout
(``KYODO_BENCH_ROOT``), whose ``benchkit`` is imported from that tree, while this file always comes from
the benchmark's own folder. It imports nothing of Kyodo.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
HEALTH = "/healthz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_gunicorn(
    root: Path,
    url: str,
    port: int,
    workers: int,
    log: IO[bytes],
    app: str = "wsgi:app",
    extra_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """gunicorn (``ops/gunicorn.conf.py`` of ``root``) on ``url``, answering ``/healthz`` when this returns.

    ``app`` is gunicorn's application (``module:variable`` or ``module:factory()``), ``extra_args`` more
    command-line settings (they override the configuration file), ``extra_env`` more environment.
    Its stderr (the app's JSON log in newer trees) goes to the file ``log``: an unread pipe would fill and
    stop the workers in the middle of a run.
    """
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "KYODO_DATABASE_URL": url,
        "KYODO_SECRET_KEY": "bench-secret",
        "KYODO_ENV": "test",
        "KYODO_REDIS_URL": "",
        "KYODO_WORKERS": str(workers),
        "KYODO_BIND": f"{HOST}:{port}",
        "KYODO_LOGIN_RATE_LIMIT": "100000 per minute",
        "KYODO_DB_POOL_SIZE": "8",
        # Workers are never replaced during a benchmark: their memory and pids are measured over a run.
        "KYODO_MAX_REQUESTS": "0",
        **(extra_env or {}),
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "-c", str(root / "ops" / "gunicorn.conf.py"), "--access-logfile", "/dev/null"]
    proc = subprocess.Popen(
        [*command, *extra_args, app], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=log
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.flush()
            raise SystemExit("gunicorn exited: " + Path(log.name).read_text(errors="replace")[-2000:])
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", HEALTH)
            if conn.getresponse().status < 500:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("gunicorn did not answer within 60 s")
