"""Reading and cancelling an account's campaigns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from relais.core.errors import InvalidField, NotCancellable, NotFound
from relais.core.instant import to_ms
from relais.core.phone import normalize_recipient
from relais.core.status import ERROR_STATUSES, CampaignStatus, MessageStatus
from relais.services.platform import AccountRef, Platform
from relais.store import campaigns as campaign_store
from relais.store import ledger
from relais.store import opt_outs as opt_out_store
from relais.store import short_links as link_store
from relais.store.accounts import get_balance

MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class CampaignReport:
    campaign: campaign_store.CampaignRow
    state: str  # Scheduled | Moderation | Sending | Sent | Cancelled | Refused
    delivered: int
    error: int
    expired: int
    network_error: int
    messages: int
    # The campaign's contact lists, its STOPs (blacklist entries answering it) and its NPAI
    # (messages whose destination proved invalid).
    lists: tuple[int, ...] = ()
    stops: int = 0
    npai: int = 0
    # Clicks on its tracked links, and how many recipients clicked at least once.
    clicks: int = 0
    unique_clicks: int = 0

    @property
    def delivery_rate(self) -> int:
        return round(100 * self.delivered / self.messages) if self.messages else 0


def _report(
    row: campaign_store.CampaignRow,
    counts: dict[str, int],
    now_ms: int,
    lists: Sequence[int] = (),
    stops: int = 0,
    clicks: tuple[int, int] = (0, 0),
) -> CampaignReport:
    # Held messages of an approved campaign wait for their account's unlock: still sending.
    pending = sum(
        counts.get(s.value, 0)
        for s in (
            MessageStatus.QUEUED,
            MessageStatus.SENDING,
            MessageStatus.SENT,
            MessageStatus.HELD,
        )
    )
    if row.status == CampaignStatus.CANCELLED.value:
        state = "Cancelled"
    elif row.status == CampaignStatus.MODERATION.value:
        state = "Moderation"
    elif row.status == CampaignStatus.REFUSED.value:
        state = "Refused"
    elif row.status == CampaignStatus.SCHEDULED.value and row.send_at > now_ms:
        state = "Scheduled"
    elif pending:
        state = "Sending"
    else:
        state = "Sent"
    return CampaignReport(
        campaign=row,
        state=state,
        delivered=counts.get(MessageStatus.DELIVERED.value, 0),
        error=sum(counts.get(s.value, 0) for s in ERROR_STATUSES),
        expired=counts.get(MessageStatus.EXPIRED.value, 0),
        network_error=counts.get(MessageStatus.NETWORK_ERROR.value, 0),
        messages=sum(counts.values()),
        lists=tuple(lists),
        stops=stops,
        npai=counts.get(MessageStatus.INVALID_DESTINATION.value, 0),
        clicks=clicks[0],
        unique_clicks=clicks[1],
    )


def _extras(conn, account_id: int, ids: list[int]) -> tuple[dict, dict, dict, dict]:
    """Status counts, contact lists, STOP counts and clicks of these campaigns."""
    return (
        campaign_store.status_counts(conn, ids),
        campaign_store.lists_of(conn, ids),
        opt_out_store.stops_per_campaign(conn, account_id=account_id, campaign_ids=ids),
        link_store.campaign_clicks(conn, ids),
    )


async def get_campaign(
    platform: Platform, *, account: AccountRef, campaign_id: int
) -> CampaignReport:
    def work(conn):
        row = campaign_store.get_campaign(conn, account_id=account.id, campaign_id=campaign_id)
        if row is None:
            return None
        return row, _extras(conn, account.id, [row.id])

    found = await platform.db.read(work)
    if found is None:
        raise NotFound("Campaign not found")
    row, (counts, lists, stops, clicks) = found
    now_ms = to_ms(platform.clock())
    return _report(
        row, counts[row.id], now_ms, lists[row.id], stops.get(row.id, 0), clicks.get(row.id, (0, 0))
    )


@dataclass(frozen=True, slots=True)
class CampaignPage:
    reports: list[CampaignReport]
    total: int
    filtered: int


async def list_campaigns(
    platform: Platform,
    *,
    account: AccountRef,
    start: int = 0,
    length: int = 100,
    sort: str = "-id",
    date_start_ms: int | None = None,
    date_end_ms: int | None = None,
    text: str | None = None,
    sms_min: int | None = None,
    sms_max: int | None = None,
    destination: str | None = None,
) -> CampaignPage:
    """One page of the account's campaigns; `destination` (any form a send accepts) keeps
    those with a message to that number."""
    if destination is not None:
        found = normalize_recipient(destination, account.country)
        # A number no send would accept was never sent to: it matches no campaign.
        destination = found.msisdn if found else destination
    if start < 0 or not 1 <= length <= MAX_PAGE:
        raise InvalidField(f"start must be >= 0 and length between 1 and {MAX_PAGE}")
    if sort.removeprefix("-") not in campaign_store.SORTABLE:
        raise InvalidField("sort must be one of id, date, text, cost, status (prefix - to reverse)")

    def work(conn):
        rows, total, filtered = campaign_store.list_campaigns(
            conn,
            account_id=account.id,
            start=start,
            length=length,
            sort=sort,
            date_start_ms=date_start_ms,
            date_end_ms=date_end_ms,
            text=text,
            sms_min=sms_min,
            sms_max=sms_max,
            destination=destination,
        )
        return rows, _extras(conn, account.id, [r.id for r in rows]), total, filtered

    rows, (counts, lists, stops, clicks), total, filtered = await platform.db.read(work)
    now_ms = to_ms(platform.clock())
    reports = [
        _report(r, counts[r.id], now_ms, lists[r.id], stops.get(r.id, 0), clicks.get(r.id, (0, 0)))
        for r in rows
    ]
    return CampaignPage(reports, total, filtered)


async def cancel_campaign(platform: Platform, *, account: AccountRef, campaign_id: int) -> int:
    """Cancel a scheduled campaign, or one held for moderation, and refund its unsent
    messages once; the new balance."""
    now_ms = to_ms(platform.clock())

    def work(conn: Connection) -> int:
        refund = campaign_store.cancel_scheduled(
            conn, account_id=account.id, campaign_id=campaign_id, now_ms=now_ms
        )
        if refund is None:
            if not campaign_store.campaign_exists(
                conn, account_id=account.id, campaign_id=campaign_id
            ):
                raise NotFound("Campaign not found")
            raise NotCancellable()
        payer = ledger.refund_campaign(conn, campaign_id=campaign_id, amount=refund, now_ms=now_ms)
        return get_balance(conn, payer or account.billing_account_id)

    return await platform.db.write(work)
