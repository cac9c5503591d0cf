"""gunicorn settings for production: `gunicorn -c ops/gunicorn.conf.py wsgi:app`."""

import multiprocessing
import os

bind = os.environ.get("KYODO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("KYODO_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = 4
timeout = 60
accesslog = "-"
# No personal data in the access log: the path without its query string (%(U)s, never %(r)s or
# %(q)s, which would write resident searches' names, birth dates and addresses), no Referer (it
# carries the previous page's query string), and the request id that joins it to the app's log.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s" %({x-request-id}o)s'
# The app is built once, in the master, before the workers are forked: the code, the models and the
# templates' machinery (most of a worker's memory) are then shared by every worker instead of copied
# into each. No database connection crosses the fork: the master closes its own (``when_ready``) and
# a worker starts with an empty pool (``tenant_core.db._dispose_after_fork``). A code change needs a
# restart of the service (a HUP reloads the workers from the same preloaded code).
preload_app = True
# A worker is replaced after about this many requests: what it loaded on demand goes with it. Issuing a
# signed certificate loads the PDF and signing libraries and the fonts (a worker then holds about 315 MiB
# against 100 MiB, tests/bench/RESULTS.md); without recycling it would keep them for the life of the service.
max_requests = int(os.environ.get("KYODO_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10  # not every worker at once
# Behind nginx on this host: set KYODO_TRUSTED_PROXIES=1 so the app sees the client's address.
forwarded_allow_ips = os.environ.get("KYODO_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def when_ready(server):
    """The app is loaded: close the master's connections and keep its objects out of the collector.

    ``gc.freeze`` moves everything the app allocated so far to a permanent generation: the workers'
    collections no longer walk (and so write to) those shared pages, which stay shared.
    """
    import gc

    from tenant_core.db import close_pooled_connections

    close_pooled_connections()
    gc.collect()
    gc.freeze()


def post_worker_init(worker):
    """The application's own logs as JSON lines (request id, city, never a search term)."""
    from tenant_core.logs import configure

    configure()


def child_exit(server, worker):
    """Let the metrics of a finished worker be merged no more (multi-process Prometheus mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
