"""Benchmark: ``tenants migrate --all`` with nothing to do, at 100 and 1,000 tenants (goal: < 2 s at 1,000).

Run from the project root as ``.venv/bin/python tests/bench/bench_migrate_noop.py [--levels 100 1000]``.
Measures ``migrate_tenants(db, None)`` in process and the whole ``kyodo tenants migrate --all``
command (a subprocess, Python start-up included). Uses a database of its own
(``KYODO_BENCH_DATABASE_URL``, default .../kyodo_bench), dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchkit

from tenant_core.extensions import get_db
from tenant_core.migrate import migrate_tenants, upgrade_shared

KYODO = Path(sys.executable).with_name("kyodo")
GOAL_SECONDS = 2.0


def cli_env(url: str, var_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KYODO_")}
    env.update(
        KYODO_ENV="test",
        KYODO_DATABASE_URL=url,
        KYODO_REDIS_URL="",
        KYODO_SECRET_KEY="bench-secret",
        KYODO_VAR_DIR=var_dir,
    )
    return env


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    result = subprocess.run([str(KYODO), *args], env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        sys.exit(f"kyodo {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return elapsed, result.stdout.strip()


def measure(db, env: dict[str, str], tenants: int, runs: int, cli_runs: int) -> dict[str, float]:
    with benchkit.StatementCounter(db.engine) as counter:
        first_report = migrate_tenants(db, None)
    assert not first_report.outcomes, "expected nothing to migrate"
    in_process = [benchkit.timed(lambda: migrate_tenants(db, None)) for _ in range(runs)]
    cli = []
    for _ in range(cli_runs):
        elapsed, out = run_cli(["tenants", "migrate", "--all"], env)
        cli.append(elapsed)
    print(f"  {tenants} tenants, nothing to do ({out!r}):")
    print(
        f"    one in-process run: {counter.count} SQL statement(s), {counter.checkouts} connection checkout(s)"
    )
    print(f"    in process  migrate_tenants(db, None): {benchkit.summary(in_process)}")
    print(f"    whole command kyodo tenants migrate --all: {benchkit.summary(cli, 's', 1)}")
    return {"in_process": statistics.median(in_process), "cli": statistics.median(cli)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=20, help="in-process runs per level")
    parser.add_argument("--cli-runs", type=int, default=5, help="command runs per level")
    args = parser.parse_args()
    started = time.perf_counter()
    benchkit.header(f"migrate --all with nothing to do, at {' and '.join(map(str, args.levels))} tenants")
    results: dict[int, dict[str, float]] = {}
    with (
        benchkit.database() as url,
        benchkit.kyodo_app(url) as app,
        tempfile.TemporaryDirectory(prefix="kyodo-bench-var-") as var_dir,
    ):
        db = get_db(app)
        upgrade_shared(db)
        env = cli_env(url, var_dir)
        startup = [run_cli(["--help"], env)[0] for _ in range(args.cli_runs)]
        print(
            f"  reference: kyodo --help (start-up, no app, no database): {benchkit.summary(startup, 's', 1)}"
        )
        have = 0
        for level in sorted(args.levels):
            times = benchkit.create_tenants(db, range(have + 1, level + 1), progress="creating")
            print(
                f"  created tenants {have + 1}..{level}: {sum(times):.1f} s, "
                f"{statistics.median(times) * 1e3:.1f} ms median per tenant"
            )
            have = level
            results[level] = measure(db, env, level, args.runs, args.cli_runs)
    low, high = min(results), max(results)
    if low != high:
        for key, label in (("in_process", "in process"), ("cli", "whole command")):
            ratio = results[high][key] / results[low][key]
            print(f"  ratio {high}/{low} tenants, {label}: {ratio:.2f}")
    verdict = "met" if results[high]["cli"] < GOAL_SECONDS else "NOT met"
    print(f"  goal < {GOAL_SECONDS:.0f} s at {high} tenants (whole command, median): {verdict}")
    print(f"  whole script: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
