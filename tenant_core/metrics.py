"""Prometheus metrics: request counts and latencies labelled by tenant, served at /metrics."""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

from tenant_core.permissions import public

bp = Blueprint("metrics", __name__)


class RequestMetrics:
    def __init__(self) -> None:
        # One registry per app, so that several apps in one process (tests) never collide.
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kyodo_requests",
            "HTTP requests handled",
            ["tenant", "endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kyodo_request_duration_seconds",
            "Time to answer a request",
            ["tenant", "endpoint"],
            registry=self.registry,
        )


def _start() -> None:
    g.request_started = time.perf_counter()


def _observe(response: Response) -> Response:
    started = g.pop("request_started", None)
    if started is not None and request.endpoint != "metrics.metrics":
        tenant = g.get("tenant")
        slug = tenant.slug if tenant else "-"
        endpoint = request.endpoint or "unmatched"
        m: RequestMetrics = current_app.extensions["kyodo.metrics"]
        m.requests.labels(slug, endpoint, request.method, str(response.status_code)).inc()
        m.latency.labels(slug, endpoint).observe(time.perf_counter() - started)
    return response


@bp.get("/metrics")
@public
def metrics() -> Response:
    registry = current_app.extensions["kyodo.metrics"].registry
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    app.extensions["kyodo.metrics"] = RequestMetrics()
    app.before_request(_start)
    app.after_request(_observe)
    app.register_blueprint(bp)
