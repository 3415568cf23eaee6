"""The webhook events a change causes, built inside the change's own transaction and written
to the outbox there (store.webhook_outbox): nothing is told that was not committed, and
nothing committed goes untold. Only live webhooks get events; an account without one for a
type costs one probe of the webhooks table.

* DLR: a message reached a final status (delivered, not delivered, rejected, expired, ...);
  `sent` is not reported, the receipt that follows it is.
* MO: a reply; STOP: a reply that is a STOP (it is not also an MO).
* CLICKER: a person opened a tracked short link (services.short_links).
* SKYCORE_MT / SKYCORE_MO: the Skycore postbacks of an account's postback URL (sent, final
  statuses, replies; core.skycore_postbacks)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from relais.core.events import EventType, clicker_body, dlr_body, mo_body, stop_body
from relais.core.skycore_postbacks import MO_TYPE, MT_TYPE, mt_body
from relais.core.skycore_postbacks import mo_body as skycore_mo_body
from relais.core.status import MessageStatus
from relais.core.user_agents import Device
from relais.store import webhook_outbox as outbox
from relais.store.event_targets import StatusChange, campaign_senders, live_webhooks
from relais.store.inbound import InboundRow, LastMessage
from relais.store.short_links import LinkTarget
from relais.store.webhook_outbox import NewEvent


def write_dlr_events(conn: Connection, changes: Sequence[StatusChange], *, now_ms: int) -> int:
    """Queue a DLR event per change and live DLR webhook of its account (never for `sent`),
    and an MT postback per change and live postback URL; how many."""
    if not changes:
        return 0
    events = []
    sent = MessageStatus.SENT.value
    postbacks = [change for change in changes if change.target.postback_ids]
    senders = campaign_senders(conn, [change.target.campaign_id for change in postbacks])
    for change in changes:
        target = change.target
        if target.webhook_ids and change.status != sent:
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
        if target.postback_ids:
            events += _mt_postbacks(change, senders.get(target.campaign_id), now_ms)
    outbox.enqueue(conn, events)
    return len(events)


def _mt_postbacks(change: StatusChange, sender: str | None, now_ms: int) -> list[NewEvent]:
    target = change.target
    body = mt_body(
        status=MessageStatus(change.status),
        at_ms=change.done_at,
        destination=target.destination,
        sender=sender,
        tracking_id=target.campaign_id,
    )
    if body is None:
        return []
    text = body.decode()
    return [NewEvent(w, target.account_id, MT_TYPE, text, now_ms) for w in target.postback_ids]


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
    postbacks = [(last.account_id, MO_TYPE) for _, last in owned]
    hooks = live_webhooks(conn, wanted=kinds + postbacks)
    events = []
    for (row, last), key, postback in zip(owned, kinds, postbacks, strict=True):
        webhook_ids = hooks.get(key)
        if webhook_ids:
            build = stop_body if row.is_stop else mo_body
            body = build(
                at_ms=row.received_at_ms,
                message=row.text,
                sender=row.source,
                account_id=last.account_id,
                last_gsmsmsid=last.gsmsmsid,
            ).decode()
            events += [NewEvent(w, last.account_id, key[1], body, now_ms) for w in webhook_ids]
        postback_ids = hooks.get(postback)
        if postback_ids:
            text = skycore_mo_body(
                at_ms=row.received_at_ms,
                source=row.source,
                destination=row.destination,
                text=row.text,
            ).decode()
            events += [NewEvent(w, last.account_id, MO_TYPE, text, now_ms) for w in postback_ids]
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
