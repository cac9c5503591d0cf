"""/healthz: is the database reachable, and Redis when it is configured.

200 with ``status: ok`` when everything configured answers; otherwise 503 with ``down`` naming what
does not. Redis being down does not stop the application (jobs wait in their records for the
sweeper), but the load balancer and the monitoring must know.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify

from tenant_core.extensions import get_db, get_redis
from tenant_core.permissions import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> tuple[Response, int]:
    checks: dict[str, str] = {}
    down: list[str] = []
    try:
        with get_db().engine.connect() as conn:
            conn.execute(sa.select(1))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
        down.append("database")
    redis = get_redis()
    if redis is None:
        checks["redis"] = "not configured (jobs run inline)"
    else:
        try:
            redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
            down.append("redis")
    if down:
        return jsonify(status="error", down=down, checks=checks), 503
    return jsonify(status="ok", down=[], checks=checks), 200
