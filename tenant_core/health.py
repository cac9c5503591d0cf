"""/healthz: is the database reachable, and Redis when it is configured."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify

from tenant_core.extensions import get_db, get_redis
from tenant_core.permissions import public

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    checks: dict[str, str] = {}
    try:
        with get_db().engine.connect() as conn:
            conn.execute(sa.select(1))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"
    redis = get_redis()
    if redis is None:
        checks["redis"] = "not configured (jobs run inline)"
    else:
        try:
            redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" or v.startswith("not configured") for v in checks.values())
    return jsonify(status="ok" if healthy else "error", checks=checks), 200 if healthy else 503
