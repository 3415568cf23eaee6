"""Campaign subscriptions (Skycore `subscribe` / `unsubscribe`) and the check a send makes
when its account enforces it: the recipient must be actively subscribed to the campaign it
names. A number that opted out (a STOP, or the blacklist) cannot be subscribed again
through the API until it leaves the blacklist; one unsubscribed through the API can."""

from __future__ import annotations

from sqlalchemy import Connection

from relais.core.errors import NotSubscribed, OptedOut
from relais.core.instant import to_ms
from relais.services.platform import AccountRef, Platform
from relais.store import screening as screening_store
from relais.store import subscriptions as store
from relais.store.subscriptions import Subscription

__all__ = ["Subscription", "require_subscription", "subscribe", "unsubscribe"]


async def subscribe(
    platform: Platform,
    *,
    account: AccountRef,
    campaign_ref: str,
    mobile: str,
    subscriber_ref: str | None = None,
) -> Subscription:
    """Subscribe `mobile` (international digits) to the account's campaign `campaign_ref`;
    OptedOut when the number is on the account's blacklist."""
    now_ms = to_ms(platform.clock())

    def work(conn: Connection) -> Subscription:
        blacklisted, _ = screening_store.listed_among(conn, account_id=account.id, numbers=[mobile])
        if mobile in blacklisted:
            raise OptedOut(f"{mobile} opted out (STOP) and cannot be subscribed again")
        return store.subscribe(
            conn,
            account_id=account.id,
            campaign_ref=campaign_ref,
            mobile=mobile,
            subscriber_ref=subscriber_ref,
            now_ms=now_ms,
        )

    return await platform.db.write(work)


async def unsubscribe(
    platform: Platform, *, account: AccountRef, campaign_ref: str, mobile: str
) -> Subscription:
    """End the number's subscription to `campaign_ref`; NotSubscribed when none is active."""
    now_ms = to_ms(platform.clock())

    def work(conn: Connection) -> Subscription:
        ended = store.unsubscribe(
            conn, account_id=account.id, campaign_ref=campaign_ref, mobile=mobile, now_ms=now_ms
        )
        if ended is None:
            raise NotSubscribed(f"{mobile} is not subscribed to campaign {campaign_ref!r}")
        return ended

    return await platform.db.write(work)


async def require_subscription(
    platform: Platform, *, account: AccountRef, campaign_ref: str, mobile: str
) -> None:
    """NotSubscribed unless `mobile` is actively subscribed to the account's `campaign_ref`.
    (A STOP arriving after this check is still honoured: the send screens the blacklist in
    its own transaction.)"""
    subscribed = await platform.db.read(
        lambda conn: store.is_subscribed(
            conn, account_id=account.id, campaign_ref=campaign_ref, mobile=mobile
        )
    )
    if not subscribed:
        raise NotSubscribed(f"{mobile} is not subscribed to campaign {campaign_ref!r}")
