"""Prometheus metrics: request counts and latencies labelled by tenant, served at /metrics.

The tenant label is kept coarse (status class, few latency buckets) and the endpoint is measured
apart from the tenant, so that the number of series grows with tenants plus endpoints, not with
their product: 1,741 cities must stay scrapeable. Under gunicorn, set PROMETHEUS_MULTIPROC_DIR
(see ops/) and every worker's counts are added up at scrape time.

The page is for the operator only: it answers to the addresses of ``KYODO_METRICS_ALLOW`` or to a
request carrying ``Authorization: Bearer <KYODO_METRICS_TOKEN>``; anyone else gets a 404, as if it
did not exist.
"""

from __future__ import annotations

import hmac
import os
import time
from ipaddress import ip_address
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Summary,
    generate_latest,
    multiprocess,
)

from tenant_core.extensions import get_settings
from tenant_core.permissions import public

bp = Blueprint("metrics", __name__)


class RequestMetrics:
    def __init__(self) -> None:
        # One registry per app, so that several apps in one process (tests) never collide.
        self.registry = CollectorRegistry()
        self._children: dict[tuple[Any, ...], Any] = {}
        self.requests = Counter(
            "kyodo_requests",
            "HTTP requests handled, by tenant and status class",
            ["tenant", "status"],
            registry=self.registry,
        )
        # Per city a count and a sum (its mean time), not buckets: a histogram is ten series per city,
        # 2.4 MiB of every worker's memory and a tenth of a scrape per 1,000 cities; the time's
        # distribution is kept per endpoint, across cities, below.
        self.latency = Summary(
            "kyodo_request_duration_seconds",
            "Time to answer a request, by tenant",
            ["tenant"],
            registry=self.registry,
        )
        self.endpoint_latency = Histogram(
            "kyodo_endpoint_duration_seconds",
            "Time to answer a request, by endpoint (all tenants)",
            ["endpoint", "method"],
            registry=self.registry,
        )
        # Read from the job records at scrape time (inside the /metrics request): backups run in workers.
        from tenant_core.backup.metrics import BackupCollector

        self.backups = BackupCollector()
        self.registry.register(self.backups)

    def child(self, metric: Any, *labels: str) -> Any:
        """``metric.labels(*labels)``, kept: the library validates and locks on every call. One entry
        per series the registry holds anyway, so this grows no further than the metrics do."""
        key = (id(metric), *labels)
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = metric.labels(*labels)
        return found

    def exposition_registry(self) -> CollectorRegistry:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            combined = CollectorRegistry()
            multiprocess.MultiProcessCollector(combined)
            combined.register(self.backups)
            return combined
        return self.registry


def _start() -> None:
    g.request_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("request_started", None)
    if started is not None and request.endpoint != "metrics.metrics":
        tenant = g.get("tenant")
        slug = tenant.slug if tenant else "-"
        elapsed = time.perf_counter() - started
        m: RequestMetrics = current_app.extensions["kyodo.metrics"]
        m.child(m.requests, slug, f"{response.status_code // 100}xx").inc()
        m.child(m.latency, slug).observe(elapsed)
        m.child(m.endpoint_latency, request.endpoint or "unmatched", request.method).observe(elapsed)
    return response


def _operator_allowed() -> bool:
    settings = get_settings()
    token = settings.metrics_token
    auth = request.headers.get("Authorization", "")
    if (
        token
        and auth.startswith("Bearer ")
        and hmac.compare_digest(auth[7:].strip().encode(), token.encode())
    ):
        return True
    try:
        peer = ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(peer in network for network in settings.metrics_networks)


@bp.get("/metrics")
@public
def metrics() -> Response:
    if not _operator_allowed():
        abort(404)
    registry = current_app.extensions["kyodo.metrics"].exposition_registry()
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.extensions["kyodo.metrics"] = RequestMetrics()
    app.before_request(_start)
    app.after_request(_observe)
    app.register_blueprint(bp)
