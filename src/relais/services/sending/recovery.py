"""Closing list campaigns: the one status a campaign gets once its messages are written, and
the sweep that closes the campaigns a dead process left `preparing`.

A list campaign is debited up front and written page by page (lists.py); closing it gives
it its status and refunds what the debit took beyond the messages it holds. Closing is
conditional on the status still being `preparing`, so it happens once, from whichever
process gets there first."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Connection

from relais.core.instant import to_ms
from relais.core.status import CampaignStatus
from relais.services.platform import Platform
from relais.store import list_campaigns as list_store

# A campaign still `preparing` this long after its creation belongs to a dead process.
STALE_AFTER = timedelta(hours=1)


def closing_status(moderation_reason: str | None, *, scheduled: bool) -> str:
    """The status a list campaign gets once all its messages are written."""
    if moderation_reason is not None:
        return CampaignStatus.MODERATION.value
    return (CampaignStatus.SCHEDULED if scheduled else CampaignStatus.QUEUED).value


async def recover_preparing(platform: Platform) -> int:
    """Close the list campaigns a dead process left `preparing` (created over STALE_AFTER
    ago): each keeps the messages it holds, gets the status it would have had, and its payer
    is refunded what was paid beyond them. How many were closed. Safe to run from every
    process at any time: closing is conditional on the status, so it happens once."""
    now = platform.clock()
    now_ms = to_ms(now)
    before = to_ms(now - STALE_AFTER)
    stale = await platform.db.read(
        lambda conn: list_store.stale_preparing(conn, created_before=before)
    )
    closed = 0
    for campaign_id, send_at, reason in stale:
        status = closing_status(reason, scheduled=send_at > now_ms)

        def finish(
            conn: Connection, campaign_id: int = campaign_id, status: str = status
        ) -> int | None:
            return list_store.finish_preparing(
                conn, campaign_id=campaign_id, status=status, now_ms=now_ms
            )

        if await platform.db.write(finish) is not None:
            closed += 1
    return closed
