"""gunicorn settings for production: `gunicorn -c ops/gunicorn.conf.py wsgi:app`."""

import multiprocessing
import os

bind = os.environ.get("KYODO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("KYODO_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = 4
timeout = 60
accesslog = "-"
# The app is built in each worker after the fork, so no database connection crosses a fork.
preload_app = False


def child_exit(server, worker):
    """Let the metrics of a finished worker be merged no more (multi-process Prometheus mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
