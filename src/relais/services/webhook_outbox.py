"""The sender's use of the webhook outbox: claim due events, settle each attempt. The events
themselves are written where the change that causes them is (services.delivery_reports)."""

from __future__ import annotations

from collections.abc import Sequence

from relais.services.platform import Platform
from relais.store import webhook_outbox as outbox
from relais.store.webhook_outbox import Attempt, DueEvent


async def claim_due(
    platform: Platform, *, now_ms: int, limit: int, lease_ms: int
) -> list[DueEvent]:
    """Lease up to `limit` due events of live webhooks (see store.webhook_outbox)."""
    return await platform.db.write(
        lambda conn: outbox.claim_due(conn, now_ms=now_ms, limit=limit, lease_ms=lease_ms),
        lane="delivery",
    )


async def backlog(platform: Platform) -> tuple[int, int | None]:
    """(events waiting, when the oldest was written, ms) for the operator's metrics."""
    return await platform.db.read(outbox.backlog)


async def record_attempts(platform: Platform, attempts: Sequence[Attempt]) -> int:
    """Log the attempts and settle their events; how many were settled."""
    return await platform.db.write(
        lambda conn: outbox.record_attempts(conn, attempts), lane="delivery"
    )
