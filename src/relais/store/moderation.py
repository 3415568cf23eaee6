"""Moderation rules, and the campaigns held for review with their decisions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, case, delete, func, insert, or_, select, update

from relais.core.status import CampaignStatus, MessageStatus
from relais.store import paid_campaigns
from relais.store.tables import accounts, campaigns, messages, moderation_rules

_MODERATION = CampaignStatus.MODERATION.value
_HELD = MessageStatus.HELD.value


@dataclass(frozen=True, slots=True)
class RuleRow:
    id: int
    account_id: int | None
    kind: str
    value: str
    created_at: int


_RULE_COLUMNS = tuple(moderation_rules.c[name] for name in RuleRow.__slots__)


def add_rule(
    conn: Connection, *, account_id: int | None, kind: str, value: str, now_ms: int
) -> int:
    return conn.execute(
        insert(moderation_rules)
        .values(account_id=account_id, kind=kind, value=value, created_at=now_ms)
        .returning(moderation_rules.c.id)
    ).scalar_one()


def get_rule(conn: Connection, rule_id: int) -> RuleRow | None:
    row = conn.execute(select(*_RULE_COLUMNS).where(moderation_rules.c.id == rule_id)).first()
    return RuleRow(*row) if row else None


def remove_rule(conn: Connection, rule_id: int) -> bool:
    return bool(
        conn.execute(delete(moderation_rules).where(moderation_rules.c.id == rule_id)).rowcount
    )


def list_rules(conn: Connection, *, account_ids: Sequence[int] | None = None) -> list[RuleRow]:
    """Every rule, or those that apply to any of `account_ids` (theirs and the global ones)."""
    query = select(*_RULE_COLUMNS).order_by(moderation_rules.c.id)
    if account_ids is not None:
        query = query.where(
            or_(
                moderation_rules.c.account_id.is_(None),
                moderation_rules.c.account_id.in_(list(account_ids)),
            )
        )
    return [RuleRow(*row) for row in conn.execute(query)]


def campaigns_sent(conn: Connection, *, account_id: int, up_to: int) -> int:
    """How many campaigns with recipients the account has stored, counting at most `up_to`
    (reads no more index entries than that), those of its group's earlier sends included."""
    paid_campaigns.insert_deferred(conn)
    first = (
        select(campaigns.c.id)
        .where(campaigns.c.account_id == account_id, campaigns.c.sent > 0)
        .limit(up_to)
        .subquery()
    )
    return conn.execute(select(func.count()).select_from(first)).scalar_one()


# --- the queue and the decisions ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HeldCampaign:
    campaign_id: int
    account_id: int
    email: str
    text: str
    sender: str | None
    recipients: int
    cost: int
    reason: str
    created_at: int
    send_at: int


def held_campaigns(conn: Connection, *, limit: int) -> list[HeldCampaign]:
    rows = conn.execute(
        select(
            campaigns.c.id,
            campaigns.c.account_id,
            accounts.c.email,
            campaigns.c.text,
            campaigns.c.sender,
            campaigns.c.sent,
            campaigns.c.cost,
            campaigns.c.moderation_reason,
            campaigns.c.created_at,
            campaigns.c.send_at,
        )
        .select_from(campaigns.join(accounts, campaigns.c.account_id == accounts.c.id))
        .where(campaigns.c.status == _MODERATION)
        .order_by(campaigns.c.id)
        .limit(limit)
    )
    return [
        HeldCampaign(
            campaign_id=row[0],
            account_id=row[1],
            email=row[2],
            text=row[3],
            sender=row[4],
            recipients=row[5],
            cost=row[6],
            reason=row[7] or "",
            created_at=row[8],
            send_at=row[9],
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class Decided:
    """A campaign taken out of moderation."""

    campaign_id: int
    account_id: int
    status: str
    created_at: int
    send_at: int
    reason: str


def _leave_moderation(conn: Connection, campaign_id: int, status) -> Decided | None:
    """Move a campaign in moderation to `status`; None when it is not (or no longer) in
    moderation. The status condition makes a second decision find nothing."""
    row = conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status == _MODERATION)
        .values(status=status)
        .returning(
            campaigns.c.id,
            campaigns.c.account_id,
            campaigns.c.status,
            campaigns.c.created_at,
            campaigns.c.send_at,
            campaigns.c.moderation_reason,
        )
    ).first()
    if row is None:
        return None
    campaign_id, account_id, status, created_at, send_at, reason = row
    return Decided(campaign_id, account_id, status, created_at, send_at, reason or "")


def approve_campaign(conn: Connection, *, campaign_id: int, now_ms: int) -> Decided | None:
    """Scheduled when its send time is still ahead, queued otherwise."""
    status = case(
        (campaigns.c.send_at > now_ms, CampaignStatus.SCHEDULED.value),
        else_=CampaignStatus.QUEUED.value,
    )
    return _leave_moderation(conn, campaign_id, status)


def refuse_campaign(conn: Connection, *, campaign_id: int) -> Decided | None:
    return _leave_moderation(conn, campaign_id, CampaignStatus.REFUSED.value)


def campaign_status(conn: Connection, campaign_id: int) -> str | None:
    return conn.execute(
        select(campaigns.c.status).where(campaigns.c.id == campaign_id)
    ).scalar_one_or_none()


def release_held(conn: Connection, *, campaign_id: int) -> int:
    """The campaign's held messages back to the queue; how many."""
    return conn.execute(
        update(messages)
        .where(messages.c.campaign_id == campaign_id, messages.c.status == _HELD)
        .values(status=MessageStatus.QUEUED.value)
    ).rowcount
