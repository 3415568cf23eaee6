"""Campaign rows, their messages, and the queries the campaign endpoints read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, insert, or_, select, update

from relais.core.status import CampaignStatus, MessageStatus
from relais.store.account_policy import month_of, release_usage
from relais.store.precompiled import Precompiled
from relais.store.tables import campaign_lists, campaigns, messages


@dataclass(frozen=True, slots=True)
class CampaignRow:
    id: int
    account_id: int
    kind: str
    text: str
    sender: str | None
    pushtype: str
    encoding: str
    status: str
    send_at: int
    created_at: int
    cost: int
    total: int
    sent: int
    moderation_reason: str | None


_COLUMNS = tuple(campaigns.c[name] for name in CampaignRow.__slots__)


# Built once: constructing statements costs more than running them on the hot path.
_INSERT_CAMPAIGN = Precompiled(insert(campaigns).returning(campaigns.c.id))
_INSERT_MESSAGES = Precompiled(insert(messages))


def insert_campaign(conn: Connection, values: Mapping[str, Any]) -> int:
    return _INSERT_CAMPAIGN.rows(conn, values)[0][0]


def insert_messages(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    _INSERT_MESSAGES.many(conn, rows)


def get_campaign(conn: Connection, *, account_id: int, campaign_id: int) -> CampaignRow | None:
    row = conn.execute(
        select(*_COLUMNS).where(campaigns.c.id == campaign_id, campaigns.c.account_id == account_id)
    ).first()
    return CampaignRow(*row) if row else None


def status_counts(conn: Connection, campaign_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """Messages per status for each campaign: {campaign_id: {status: count}}."""
    counts: dict[int, dict[str, int]] = {cid: {} for cid in campaign_ids}
    if not campaign_ids:
        return counts
    rows = conn.execute(
        select(messages.c.campaign_id, messages.c.status, func.count())
        .where(messages.c.campaign_id.in_(campaign_ids))
        .group_by(messages.c.campaign_id, messages.c.status)
    )
    for campaign_id, status, count in rows:
        counts[campaign_id][status] = count
    return counts


def lists_of(conn: Connection, campaign_ids: Sequence[int]) -> dict[int, list[int]]:
    """The contact lists each campaign was sent to, by list id: {campaign_id: [list_id]}."""
    found: dict[int, list[int]] = {cid: [] for cid in campaign_ids}
    if not campaign_ids:
        return found
    rows = conn.execute(
        select(campaign_lists.c.campaign_id, campaign_lists.c.list_id)
        .where(campaign_lists.c.campaign_id.in_(list(campaign_ids)))
        .order_by(campaign_lists.c.campaign_id, campaign_lists.c.list_id)
    )
    for campaign_id, list_id in rows:
        found[campaign_id].append(list_id)
    return found


SORTABLE = {
    "id": campaigns.c.id,
    "date": campaigns.c.send_at,
    "text": campaigns.c.text,
    "cost": campaigns.c.cost,
    "status": campaigns.c.status,
}


def list_campaigns(
    conn: Connection,
    *,
    account_id: int,
    start: int,
    length: int,
    sort: str,
    date_start_ms: int | None = None,
    date_end_ms: int | None = None,
    text: str | None = None,
    sms_min: int | None = None,
    sms_max: int | None = None,
    destination: str | None = None,
) -> tuple[list[CampaignRow], int, int]:
    """One page of an account's campaigns, the account's total, and the filtered total.

    `destination` keeps the campaigns with a message to that number (found through
    ix_messages_destination_account_due, so the account's other messages are never read)."""
    base = campaigns.c.account_id == account_id
    conditions = [base]
    if date_start_ms is not None:
        conditions.append(campaigns.c.send_at >= date_start_ms)
    if date_end_ms is not None:
        conditions.append(campaigns.c.send_at <= date_end_ms)
    if text:
        conditions.append(campaigns.c.text.contains(text, autoescape=True))
    if sms_min is not None:
        conditions.append(campaigns.c.sent >= sms_min)
    if sms_max is not None:
        conditions.append(campaigns.c.sent <= sms_max)
    if destination is not None:
        sent_to = select(messages.c.campaign_id).where(
            messages.c.destination == destination, messages.c.account_id == account_id
        )
        conditions.append(campaigns.c.id.in_(sent_to))
    descending = sort.startswith("-")
    column = SORTABLE[sort.lstrip("-")]
    order = (column.desc(), campaigns.c.id.desc()) if descending else (column, campaigns.c.id)
    rows = conn.execute(
        select(*_COLUMNS).where(and_(*conditions)).order_by(*order).offset(start).limit(length)
    ).all()
    total = conn.execute(select(func.count()).where(base)).scalar_one()
    filtered = conn.execute(select(func.count()).where(and_(*conditions))).scalar_one()
    return [CampaignRow(*r) for r in rows], total, filtered


def cancel_scheduled(
    conn: Connection, *, account_id: int, campaign_id: int, now_ms: int
) -> int | None:
    """Cancel a campaign still waiting for its send time or held for moderation; the credits
    of the messages that were cancelled, or None if the campaign is not (or no longer)
    cancellable. The cancelled messages are given back to the account's monthly country
    counters.

    The status condition on the campaign row makes a second cancel find nothing, so the
    refund happens exactly once."""
    created_at = conn.execute(
        update(campaigns)
        .where(
            campaigns.c.id == campaign_id,
            campaigns.c.account_id == account_id,
            or_(
                and_(
                    campaigns.c.status == CampaignStatus.SCHEDULED.value,
                    campaigns.c.send_at > now_ms,
                ),
                campaigns.c.status == CampaignStatus.MODERATION.value,
            ),
        )
        .values(status=CampaignStatus.CANCELLED.value)
        .returning(campaigns.c.created_at)
    ).scalar()
    if created_at is None:
        return None
    refund, countries = cancel_waiting(conn, campaign_id=campaign_id, now_ms=now_ms)
    release_usage(conn, account_id=account_id, month=month_of(created_at), counts=countries)
    return refund


def cancel_waiting(conn: Connection, *, campaign_id: int, now_ms: int) -> tuple[int, Counter[str]]:
    """Cancel the campaign's messages that have not gone out (queued, or held by moderation
    or a suspension); their total cost and their number per country."""
    rows = conn.execute(
        update(messages)
        .where(
            messages.c.campaign_id == campaign_id,
            messages.c.status.in_((MessageStatus.QUEUED.value, MessageStatus.HELD.value)),
        )
        .values(status=MessageStatus.CANCELLED.value, done_at=now_ms)
        .returning(messages.c.cost, messages.c.country)
    ).all()
    return sum(cost for cost, _ in rows), Counter(country for _, country in rows)


def campaign_exists(conn: Connection, *, account_id: int, campaign_id: int) -> bool:
    return (
        conn.execute(
            select(campaigns.c.id).where(
                campaigns.c.id == campaign_id, campaigns.c.account_id == account_id
            )
        ).first()
        is not None
    )
