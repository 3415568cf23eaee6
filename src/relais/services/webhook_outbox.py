"""The webhook outbox as the sender and the operator use it: claim due events, settle each
attempt, count, replay what failed, purge what is settled. The events themselves are written
where the change that causes them is (services.events)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from relais.core.errors import InvalidField, NotFound
from relais.services.operator_actions import operator_write
from relais.services.platform import Platform
from relais.store import webhook_outbox as outbox
from relais.store import webhooks as store_webhooks
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


async def record_attempts(platform: Platform, attempts: Sequence[Attempt]) -> None:
    """Log the attempts and settle their events, in one transaction."""
    return await platform.db.write(
        lambda conn: outbox.record_attempts(conn, attempts), lane="delivery"
    )


async def event_counts(
    platform: Platform, *, webhook_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """{webhook id: {pending|delivered|failed: events}}."""
    return await platform.db.read(
        lambda conn: outbox.counts_by_status(conn, webhook_ids=webhook_ids)
    )


async def replay_failed(platform: Platform, *, actor: str, webhook_id: int) -> int:
    """Send a webhook's failed events again (a new round of attempts); how many. Audited."""

    def change(conn: Connection, now_ms: int) -> tuple[int, int]:
        owner = store_webhooks.owner_of(conn, webhook_id=webhook_id)
        if owner is None:
            raise NotFound(f"No webhook with id {webhook_id}")
        return owner, outbox.replay_failed(conn, webhook_id=webhook_id, now_ms=now_ms)

    _, replayed = await operator_write(
        platform,
        change,
        actor=actor,
        action="webhook.replay",
        account_id=lambda result: result[0],
        details=lambda result: {"webhook_id": webhook_id, "events": result[1]},
    )
    platform.on_events()
    return replayed


async def purge_settled(platform: Platform, *, actor: str, older_than_days: int) -> tuple[int, int]:
    """Delete delivered and failed events older than `older_than_days` days, with their
    attempts; (events, attempts). Pending events stay. Audited."""
    if isinstance(older_than_days, bool) or older_than_days < 0:
        raise InvalidField("older than: a number of days, 0 or more")

    def change(conn: Connection, now_ms: int) -> tuple[int, int]:
        before = now_ms - older_than_days * 86_400_000
        return outbox.purge_settled(conn, before_ms=before)

    return await operator_write(
        platform,
        change,
        actor=actor,
        action="webhook.purge",
        details=lambda result: {
            "older_than_days": older_than_days,
            "events": result[0],
            "attempts": result[1],
        },
    )
