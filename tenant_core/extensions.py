"""Access to the per-app objects created by the factory (database, settings, redis)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from redis import Redis

    from tenant_core.config import Settings
    from tenant_core.db import Database


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["kyodo.db"]


def get_settings(app: Flask | None = None) -> Settings:
    return (app or current_app).extensions["kyodo.settings"]


def get_redis(app: Flask | None = None) -> Redis | None:
    return (app or current_app).extensions.get("kyodo.redis")
