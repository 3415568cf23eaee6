"""The audit log: one row per operator action, written in the action's own transaction."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select

from relais.store.tables import audit_log


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: int
    actor: str
    action: str
    account_id: int | None
    details: Mapping[str, Any]


def record(
    conn: Connection,
    *,
    actor: str,
    action: str,
    now_ms: int,
    account_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    conn.execute(
        insert(audit_log).values(
            at=now_ms,
            actor=actor,
            action=action,
            account_id=account_id,
            details=json.dumps(dict(details or {}), sort_keys=True, separators=(",", ":")),
        )
    )


def list_entries(
    conn: Connection,
    *,
    account_id: int | None = None,
    action: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest entries first, optionally for one account or one action; page with
    `before_id` (the last id of the previous page)."""
    query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if account_id is not None:
        query = query.where(audit_log.c.account_id == account_id)
    if action is not None:
        query = query.where(audit_log.c.action == action)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    return [
        AuditEntry(row.id, row.at, row.actor, row.action, row.account_id, json.loads(row.details))
        for row in conn.execute(query)
    ]
