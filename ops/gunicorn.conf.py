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
# The app is built in each worker after the fork, so no database connection crosses a fork.
preload_app = False
# Behind nginx on this host: set KYODO_TRUSTED_PROXIES=1 so the app sees the client's address.
forwarded_allow_ips = os.environ.get("KYODO_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_worker_init(worker):
    """The application's own logs as JSON lines (request id, city, never a search term)."""
    from tenant_core.logs import configure

    configure()


def child_exit(server, worker):
    """Let the metrics of a finished worker be merged no more (multi-process Prometheus mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
