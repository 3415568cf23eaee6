"""Moderation: the rules that hold a campaign for review, the queue of held campaigns, and
the operator's decisions on them.

A campaign a rule matches is stored like any other (its messages, its debit) but with status
`moderation` and its messages `held`, so the dispatcher never claims them. Approving
releases the messages (they stay held while the account or its parent is suspended);
refusing cancels them, refunds the payer once and gives the messages back to the monthly
country counters. Both decisions are audited in their own transaction."""

from __future__ import annotations

from dataclasses import dataclass

from relais.core.errors import InvalidRequest, NotFound
from relais.core.status import CampaignStatus
from relais.services.operator_actions import operator_write
from relais.services.platform import Platform
from relais.store import accounts as account_store
from relais.store import campaigns as campaign_store
from relais.store import ledger
from relais.store import moderation as moderation_store
from relais.store.account_policy import month_of, release_usage
from relais.store.moderation import HeldCampaign


class NotAwaitingModeration(InvalidRequest):
    """The campaign is not held for moderation (already decided, cancelled or never held)."""


# --- the queue ----------------------------------------------------------------------------


async def moderation_queue(platform: Platform, *, limit: int = 1000) -> list[HeldCampaign]:
    """Campaigns awaiting review, oldest first, with their account, text, recipients (how
    many messages are held), cost and the rule that held them."""
    return await platform.db.read(lambda conn: moderation_store.held_campaigns(conn, limit=limit))


@dataclass(frozen=True, slots=True)
class Decision:
    campaign_id: int
    account_id: int
    status: str  # the campaign's status after the decision
    messages: int  # released (approve) or cancelled (refuse)
    refunded: int = 0


def _not_held(conn, campaign_id: int) -> Exception:
    status = moderation_store.campaign_status(conn, campaign_id)
    if status is None:
        return NotFound(f"No campaign {campaign_id}")
    return NotAwaitingModeration(f"Campaign {campaign_id} is not in moderation (it is {status})")


@dataclass(frozen=True, slots=True)
class _Reviewed:
    """A decision with what its audit row records."""

    decision: Decision
    details: dict
    due: bool = False  # released messages whose send time has come


async def _review(platform: Platform, change, *, actor: str, action: str) -> _Reviewed:
    return await operator_write(
        platform,
        change,
        actor=actor,
        action=action,
        account_id=lambda reviewed: reviewed.decision.account_id,
        details=lambda reviewed: reviewed.details,
    )


async def approve(platform: Platform, *, actor: str, campaign_id: int) -> Decision:
    """Let a held campaign go: scheduled or queued by its send time, its messages released
    unless the account or its parent is suspended (then they wait for the unlock)."""

    def change(conn, now_ms: int) -> _Reviewed:
        decided = moderation_store.approve_campaign(conn, campaign_id=campaign_id, now_ms=now_ms)
        if decided is None:
            raise _not_held(conn, campaign_id)
        suspended = account_store.is_suspended(conn, decided.account_id)
        released = 0 if suspended else moderation_store.release_held(conn, campaign_id=campaign_id)
        return _Reviewed(
            Decision(campaign_id, decided.account_id, decided.status, released),
            {
                "campaign_id": campaign_id,
                "reason": decided.reason,
                "released": released,
                "held_by_suspension": suspended,
            },
            due=released > 0 and decided.send_at <= now_ms,
        )

    reviewed = await _review(platform, change, actor=actor, action="moderation.approve")
    if reviewed.due:
        platform.on_queued()
    return reviewed.decision


async def refuse(platform: Platform, *, actor: str, campaign_id: int) -> Decision:
    """Refuse a held campaign: its messages cancelled, its cost refunded once to whoever paid
    (the parent, for an unlimited sub-account), its messages given back to the counters."""

    def change(conn, now_ms: int) -> _Reviewed:
        decided = moderation_store.refuse_campaign(conn, campaign_id=campaign_id)
        if decided is None:
            raise _not_held(conn, campaign_id)
        refund, countries = campaign_store.cancel_waiting(
            conn, campaign_id=campaign_id, now_ms=now_ms
        )
        release_usage(
            conn,
            account_id=decided.account_id,
            month=month_of(decided.created_at),
            counts=countries,
        )
        payer = ledger.refund_campaign(
            conn,
            campaign_id=campaign_id,
            amount=refund,
            note="refused by moderation",
            now_ms=now_ms,
        )
        refunded = refund if payer is not None else 0
        cancelled = sum(countries.values())
        return _Reviewed(
            Decision(
                campaign_id,
                decided.account_id,
                CampaignStatus.REFUSED.value,
                cancelled,
                refunded,
            ),
            {
                "campaign_id": campaign_id,
                "reason": decided.reason,
                "cancelled": cancelled,
                "refunded": refunded,
                "payer": payer,
            },
        )

    return (await _review(platform, change, actor=actor, action="moderation.refuse")).decision
