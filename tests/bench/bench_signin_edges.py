"""Figures for the edges of sign-in and requests (prints, asserts nothing).

    .venv/bin/python tests/bench/bench_signin_edges.py

1. A 12000×12000 8-bit PNG (a few hundred KB on disk) given to the seal image check: time and the
   process's peak memory, each run in a fresh process so that the peak is its own.
2. One signed-in user's browser asking for a page and its assets in parallel on the SQLite default:
   requests, and how many met "database is locked".
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PNG_PROBE = r"""
import io, resource, struct, sys, time, zlib
from modules.seals.errors import SealError
from modules.seals.images import check_image

def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

w = h = 12000
c = zlib.compressobj(9)
row = b"\x00" + b"\x00" * w
idat = b"".join(c.compress(row) for _ in range(h)) + c.flush()
data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
try:
    check_image(data, 1024)
    outcome = "accepted"
except SealError as exc:
    outcome = "refused: " + str(exc)
elapsed = time.perf_counter() - t
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"  {len(data) // 1024} KB file: {outcome[:60]} in {elapsed * 1000:.0f} ms, peak memory +{(after - before) / 1024:.0f} MB")
"""


def png() -> None:
    print("12000×12000 PNG through the seal image check")
    subprocess.run([sys.executable, "-c", PNG_PROBE], cwd=ROOT, check=True, env={"PYTHONPATH": str(ROOT)})


def parallel_static() -> None:
    sys.path.insert(0, str(ROOT))
    import datetime as dt

    import sqlalchemy as sa

    from tenant_core.auth.models import UserSession
    from tenant_core.config import PROJECT_ROOT, load_settings
    from tenant_core.extensions import get_db
    from tenant_core.models import utcnow
    from tests.conftest import build_app, sign_in

    with tempfile.TemporaryDirectory() as var:
        app = build_app(
            load_settings(
                env="test", var_dir=Path(var), tenants_dir=PROJECT_ROOT / "tenants", secret_key="bench"
            )
        )
        first = app.test_client()
        sign_in(first, "fuji", "clerk")
        cookie = first.get_cookie("kyodo_session")
        assert cookie is not None
        results: list[str] = []

        def age_session() -> None:
            # The user comes back after two minutes: the idle clock is due to move.
            with get_db(app).session() as s:
                s.execute(sa.update(UserSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=2)))
                s.commit()

        def browser(i: int) -> None:
            c = app.test_client()
            c.set_cookie("kyodo_session", cookie.value)
            for n, path in enumerate(("/fuji/", "/static/kyodo.css", "/static/kyodo.js") * 10):
                try:
                    if i == 0 and n % 3 == 0:
                        age_session()
                    results.append(str(c.get(path).status_code))
                except Exception as exc:  # the figure is how many fail
                    results.append("locked" if "locked" in str(exc) else type(exc).__name__)

        threads = [threading.Thread(target=browser, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print("Parallel page and asset requests, one signed-in session, SQLite")
        print(
            f"  {len(results)} requests: {results.count('200')} OK, {results.count('locked')} database is locked"
        )


if __name__ == "__main__":
    png()
    parallel_static()
