"""Backup figures for /metrics, read from the job records when scraped (workers write them, not the web)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from tenant_core.extensions import get_db, get_settings

STATES = ("ok", "failed", "missed", "running", "none")


class BackupCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        from tenant_core.backup.schedule import backup_status
        from tenant_core.models import Tenant

        last_ok = GaugeMetricFamily(
            "kyodo_backup_last_success_timestamp_seconds",
            "When the newest finished backup of each city ended (Unix time; 0: never)",
            labels=["tenant"],
        )
        size = GaugeMetricFamily(
            "kyodo_backup_last_size_bytes",
            "Size of the newest finished backup of each city",
            labels=["tenant"],
        )
        state = GaugeMetricFamily(
            "kyodo_backup_state", "1 for the state each city's backup is in", labels=["tenant", "state"]
        )
        with get_db().session() as session:
            tenants = dict(session.execute(sa.select(Tenant.id, Tenant.slug)).all())
            found = backup_status(session, list(tenants), get_settings().backup_at)
        for tenant_id, slug in sorted(tenants.items(), key=lambda item: item[1]):
            status = found[tenant_id]
            at = status.last_ok_at.replace(tzinfo=dt.UTC).timestamp() if status.last_ok_at else 0
            last_ok.add_metric([slug], at)
            if status.last_bytes is not None:
                size.add_metric([slug], status.last_bytes)
            for name in STATES:
                state.add_metric([slug, name], 1.0 if status.state == name else 0.0)
        yield last_ok
        yield size
        yield state
