"""The reports delivering processes write about themselves: one row per process, replaced
each time, removed when the process stops cleanly and pruned when it went silent."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from relais.store.tables import process_reports


def save(conn: Connection, *, owner: str, now_ms: int, report: dict[str, Any]) -> None:
    values = {"reported_at": now_ms, "report": json.dumps(report, separators=(",", ":"))}
    done = conn.execute(
        update(process_reports).where(process_reports.c.owner == owner).values(**values)
    )
    if done.rowcount == 0:
        conn.execute(insert(process_reports).values(owner=owner, **values))


def recent(
    conn: Connection, *, since_ms: int, excluding: str | None = None
) -> list[dict[str, Any]]:
    """The reports written since `since_ms`, oldest process first."""
    query = select(process_reports.c.report).where(process_reports.c.reported_at >= since_ms)
    if excluding is not None:
        query = query.where(process_reports.c.owner != excluding)
    return [
        json.loads(row) for row in conn.execute(query.order_by(process_reports.c.owner)).scalars()
    ]


def forget(conn: Connection, *, owner: str | None = None, before_ms: int | None = None) -> None:
    """Remove one process's report, or those of processes silent since `before_ms`."""
    query = delete(process_reports)
    if owner is not None:
        query = query.where(process_reports.c.owner == owner)
    if before_ms is not None:
        query = query.where(process_reports.c.reported_at < before_ms)
    conn.execute(query)
