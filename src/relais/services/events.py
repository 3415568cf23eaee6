"""The webhook events a change causes, built inside the change's own transaction and written
to the outbox there (store.webhook_outbox): nothing is told that was not committed, and
nothing committed goes untold. Only live webhooks get events; an account without one for a
type costs one probe of the webhooks table.

* DLR: a message reached a final status (delivered, not delivered, rejected, expired, ...);
  `sent` is not reported, the receipt that follows it is.
* MO: a reply; STOP: a reply that is a STOP (it is not also an MO).
* CLICKER: a person opened a tracked short link (services.short_links)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from relais.core.events import EventType, clicker_body, dlr_body, mo_body, stop_body
from relais.core.status import MessageStatus
from relais.core.user_agents import Device
from relais.store import webhook_outbox as outbox
from relais.store.event_targets import StatusChange, live_webhooks
from relais.store.inbound import InboundRow, LastMessage
from relais.store.short_links import LinkTarget
from relais.store.webhook_outbox import NewEvent


def write_dlr_events(conn: Connection, changes: Sequence[StatusChange], *, now_ms: int) -> int:
    """Queue a DLR event per change and live DLR webhook of its account; how many."""
    if not changes:
        return 0
    events = []
    for change in changes:
        target = change.target
        body = dlr_body(
            status=MessageStatus(change.status),
            at_ms=change.done_at,
            destination=target.destination,
            gsmsmsid=target.gsmsmsid,
            ticket=target.campaign_id,
            country_code=target.country,
        ).decode()
        events += [
            NewEvent(webhook_id, target.account_id, EventType.DLR, body, now_ms)
            for webhook_id in target.webhook_ids
        ]
    outbox.enqueue(conn, events)
    return len(events)


def write_inbound_events(
    conn: Connection,
    rows: Sequence[InboundRow],
    answered: Sequence[LastMessage | None],
    *,
    now_ms: int,
) -> int:
    """Queue an MO (or, for a STOP, a STOP) event per reply with an owner, for each live
    webhook of that type of the account it answers; how many."""
    owned = [(row, last) for row, last in zip(rows, answered, strict=True) if last is not None]
    if not owned:
        return 0
    kinds = [(last.account_id, _kind(row)) for row, last in owned]
    hooks = live_webhooks(conn, wanted=kinds)
    events = []
    for (row, last), key in zip(owned, kinds, strict=True):
        webhook_ids = hooks.get(key)
        if not webhook_ids:
            continue
        build = stop_body if row.is_stop else mo_body
        body = build(
            at_ms=row.received_at_ms,
            message=row.text,
            sender=row.source,
            account_id=last.account_id,
            last_gsmsmsid=last.gsmsmsid,
        ).decode()
        events += [NewEvent(w, last.account_id, key[1], body, now_ms) for w in webhook_ids]
    outbox.enqueue(conn, events)
    return len(events)


def _kind(row: InboundRow) -> str:
    return EventType.STOP if row.is_stop else EventType.MO


def write_click_event(
    conn: Connection,
    target: LinkTarget,
    *,
    short_code: str,
    clicks: int,
    device: Device,
    at_ms: int,
) -> int:
    """Queue a CLICKER event per live CLICKER webhook of the message's account; how many."""
    key = (target.account_id, EventType.CLICKER)
    webhook_ids = live_webhooks(conn, wanted=[key]).get(key)
    if not webhook_ids:
        return 0
    info1, info2, info3, info4 = target.infos
    body = clicker_body(
        ticket=target.campaign_id,
        gsmsmsid=target.gsmsmsid,
        at_ms=at_ms,
        long_url=target.long_url,
        short_code=short_code,
        brand=device.brand,
        model=device.model,
        os=device.os,
        info1=info1,
        info2=info2,
        info3=info3,
        info4=info4,
        clicks=clicks,
    ).decode()
    outbox.enqueue(
        conn, [NewEvent(w, target.account_id, EventType.CLICKER, body, at_ms) for w in webhook_ids]
    )
    return len(webhook_ids)
