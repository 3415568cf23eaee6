"""Campaign subscriptions: which numbers an account's campaigns (named by the customer's
own reference) may write to, when the account enforces the campaign check. A subscription
ends through the API or by a STOP from the handset (store.inbound); ended rows are kept,
with who ended them, and a new subscribe through the API starts them again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from relais.core.skycore_postbacks import TYPES as POSTBACK_TYPES
from relais.store import account_settings
from relais.store import webhooks as webhook_store
from relais.store.tables import campaign_subscriptions as subs
from relais.store.tables import skycore_settings, webhooks

ENDED_BY_API = "api"
ENDED_BY_STOP = "stop"
SETTINGS_FIELDS = ("enforce_campaign_check", "postback_url")


@dataclass(frozen=True, slots=True)
class Subscription:
    campaign_ref: str
    mobile: str
    subscriber_ref: str | None
    active: bool
    ended_by: str | None


def _where(account_id: int, campaign_ref: str, mobile: str):
    return (
        (subs.c.account_id == account_id)
        & (subs.c.campaign_ref == campaign_ref)
        & (subs.c.mobile == mobile)
    )


def find(
    conn: Connection, *, account_id: int, campaign_ref: str, mobile: str
) -> Subscription | None:
    row = conn.execute(
        select(
            subs.c.campaign_ref,
            subs.c.mobile,
            subs.c.subscriber_ref,
            subs.c.active,
            subs.c.ended_by,
        ).where(_where(account_id, campaign_ref, mobile))
    ).first()
    return Subscription(*row) if row else None


def subscribe(
    conn: Connection,
    *,
    account_id: int,
    campaign_ref: str,
    mobile: str,
    subscriber_ref: str | None,
    now_ms: int,
) -> Subscription:
    """Start (or start again) the subscription; a given subscriber reference replaces the
    stored one, an absent one keeps it."""
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        dialect_insert(subs)
        .values(
            account_id=account_id,
            campaign_ref=campaign_ref,
            mobile=mobile,
            subscriber_ref=subscriber_ref,
            active=True,
            ended_by=None,
            created_at=now_ms,
            updated_at=now_ms,
        )
        .on_conflict_do_nothing(index_elements=["account_id", "campaign_ref", "mobile"])
    )
    values: dict = {"active": True, "ended_by": None, "updated_at": now_ms}
    if subscriber_ref is not None:
        values["subscriber_ref"] = subscriber_ref
    conn.execute(update(subs).where(_where(account_id, campaign_ref, mobile)).values(**values))
    found = find(conn, account_id=account_id, campaign_ref=campaign_ref, mobile=mobile)
    assert found is not None
    return found


def unsubscribe(
    conn: Connection, *, account_id: int, campaign_ref: str, mobile: str, now_ms: int
) -> Subscription | None:
    """End an active subscription through the API; None when there is none to end."""
    ended = conn.execute(
        update(subs)
        .where(_where(account_id, campaign_ref, mobile), subs.c.active.is_(True))
        .values(active=False, ended_by=ENDED_BY_API, updated_at=now_ms)
    ).rowcount
    if not ended:
        return None
    return find(conn, account_id=account_id, campaign_ref=campaign_ref, mobile=mobile)


def end_all(conn: Connection, *, account_id: int, mobile: str, now_ms: int) -> int:
    """A STOP (or STOP ALL) from the handset: every active subscription of that number with
    that account ends; how many."""
    return conn.execute(
        update(subs)
        .where(subs.c.account_id == account_id, subs.c.mobile == mobile, subs.c.active.is_(True))
        .values(active=False, ended_by=ENDED_BY_STOP, updated_at=now_ms)
    ).rowcount


def is_subscribed(conn: Connection, *, account_id: int, campaign_ref: str, mobile: str) -> bool:
    found = find(conn, account_id=account_id, campaign_ref=campaign_ref, mobile=mobile)
    return found is not None and found.active


def read_settings(conn: Connection, account_id: int) -> dict[str, Any] | None:
    """The account's Skycore settings by name, or None when it never set any."""
    return account_settings.read_settings(conn, skycore_settings, SETTINGS_FIELDS, account_id)


def change_settings(
    conn: Connection, *, account_id: int, values: Mapping[str, Any], now_ms: int
) -> None:
    account_settings.change_settings(
        conn, skycore_settings, account_id=account_id, values=values, now_ms=now_ms
    )


def set_postback_webhooks(conn: Connection, *, account_id: int, url: str, now_ms: int) -> None:
    """Keep the account's postback URL as one live webhook per postback type (the outbox
    delivers their events); "" deletes them with their pending events."""
    found = dict(
        conn.execute(
            select(webhooks.c.type, webhooks.c.id).where(
                webhooks.c.account_id == account_id, webhooks.c.type.in_(POSTBACK_TYPES)
            )
        ).all()
    )
    for kind in POSTBACK_TYPES:
        webhook_id = found.get(kind)
        if not url:
            if webhook_id is not None:
                webhook_store.delete_webhook(
                    conn, account_id=account_id, webhook_id=webhook_id, postback=True
                )
        elif webhook_id is None:
            webhook_store.insert_webhook(
                conn, account_id=account_id, type=kind, url=url, signature=None, now_ms=now_ms
            )
        else:
            conn.execute(
                update(webhooks)
                .where(webhooks.c.id == webhook_id)
                .values(url=url, status=webhook_store.LIVE)
            )


def postback_webhooks(conn: Connection, *, account_id: int) -> list[tuple[int, str, str]]:
    """(id, type, status) of the account's postback webhooks, by type."""
    rows = conn.execute(
        select(webhooks.c.id, webhooks.c.type, webhooks.c.status)
        .where(webhooks.c.account_id == account_id, webhooks.c.type.in_(POSTBACK_TYPES))
        .order_by(webhooks.c.type)
    )
    return [(row.id, row.type, row.status) for row in rows]
