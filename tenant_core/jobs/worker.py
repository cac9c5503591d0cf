"""``kyodo worker``: an rq worker that reaps and sweeps the job records between jobs."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask

from tenant_core.extensions import get_settings
from tenant_core.jobs.core import JobError, log


def _worker_class() -> type[Any]:
    from rq import Worker

    class KyodoWorker(Worker):
        """Wakes at least every ``kyodo_period`` seconds and runs the reaper and the sweeper then.

        rq's own maintenance (cleaning its registries) keeps its own interval.
        """

        kyodo_period: int = 30
        kyodo_app: Flask | None = None
        _kyodo_last: float | None = None

        @property
        def dequeue_timeout(self) -> int:
            return max(1, min(self.kyodo_period, Worker.dequeue_timeout.fget(self)))  # type: ignore[attr-defined]

        @property
        def should_run_maintenance_tasks(self) -> bool:
            due = self._kyodo_last is None or time.monotonic() - self._kyodo_last >= self.kyodo_period
            return due or bool(Worker.should_run_maintenance_tasks.fget(self))  # type: ignore[attr-defined]

        def run_maintenance_tasks(self) -> None:
            # Ours first: rq's own raises when Redis is down, and the records must still be reaped.
            rq_due = Worker.should_run_maintenance_tasks.fget(self)  # type: ignore[attr-defined]
            self._kyodo_last = time.monotonic()
            self.kyodo_maintain()
            if rq_due:
                super().run_maintenance_tasks()

        def kyodo_maintain(self) -> None:
            from tenant_core.audit.services import live_tenants, seal_all
            from tenant_core.jobs.maintenance import maintain

            try:
                assert self.kyodo_app is not None
                with self.kyodo_app.app_context():
                    report = maintain(redis=self.connection)
                    # Entries written outside a request (jobs, commands) wait for a sealer: this is one.
                    seal_all(live_tenants())
                if report.reaped or report.dispatched:
                    log.info(
                        "worker maintenance: %d reaped, %d dispatched",
                        len(report.reaped),
                        len(report.dispatched),
                    )
            except Exception as exc:  # the database may be down: keep the worker alive, try next round
                log.warning("worker maintenance failed (%s: %s)", type(exc).__name__, exc)

    return KyodoWorker


def run_worker(app: Flask, queues: list[str], burst: bool = False) -> bool:
    """Run an rq worker on the named queues; each job forks, and the fork drops inherited connections."""
    from redis import Redis

    settings = get_settings(app)
    if not settings.redis_url:
        raise JobError("KYODO_REDIS_URL is not set: jobs run inline and need no worker")
    # A connection of its own: rq sets a socket timeout longer than its blocking dequeue.
    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=5)
    worker_class = _worker_class()
    worker = worker_class(queues, connection=redis)
    worker.kyodo_period = settings.jobs_maintenance_seconds
    worker.kyodo_app = app
    return bool(worker.work(burst=burst))
