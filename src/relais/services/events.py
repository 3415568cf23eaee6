"""The webhook events a change causes, built inside the change's own transaction and written
to the outbox there (store.webhook_outbox): nothing is told that was not committed, and
nothing committed goes untold. Only live webhooks get events; an account without one for a
type costs one probe of the webhooks table.

* DLR: a message reached a final status (delivered, not delivered, rejected, expired, ...);
  `sent` is not reported, the receipt that follows it is.
* MO: a reply; STOP: a reply that is a STOP (it is not also an MO).
* CLICKER: a person opened a tracked short link (services.short_links).
* SKYCORE_MT / SKYCORE_MO: the Skycore postbacks of an account's postback URL (sent, final
  statuses, replies; core.skycore_postbacks).
* SMSPARTNER_DLR / SMSPARTNER_RESPONSE: a send's own `urlDlr` (final statuses) and
  `urlResponse` (replies and STOPs to its messages; core.smspartner_callbacks)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from relais.core.events import EventType, clicker_body, dlr_body, mo_body, stop_body
from relais.core.skycore_postbacks import MO_TYPE, MT_TYPE, mt_body
from relais.core.skycore_postbacks import mo_body as skycore_mo_body
from relais.core.smspartner_callbacks import DLR_TYPE as CALLBACK_DLR
from relais.core.smspartner_callbacks import RESPONSE_TYPE as CALLBACK_RESPONSE
from relais.core.smspartner_callbacks import dlr_body as callback_dlr_body
from relais.core.smspartner_callbacks import response_body as callback_response_body
from relais.core.status import MessageStatus
from relais.core.user_agents import Device
from relais.store import webhook_outbox as outbox
from relais.store.event_targets import StatusChange, campaign_senders, live_webhooks
from relais.store.inbound import InboundRow, LastMessage
from relais.store.screening import listed_among
from relais.store.send_callbacks import reply_webhooks
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
    events += _dlr_callbacks(conn, changes, now_ms)
    outbox.enqueue(conn, events)
    return len(events)


def _dlr_callbacks(
    conn: Connection, changes: Sequence[StatusChange], now_ms: int
) -> list[NewEvent]:
    """The `urlDlr` reports of the final statuses of messages whose campaign has one, with
    whether each number is on its account's STOP list now (read for those numbers only)."""
    final = [c for c in changes if c.target.callback_id and c.status != MessageStatus.SENT.value]
    if not final:
        return []
    numbers: dict[int, set[str]] = {}
    for change in final:
        numbers.setdefault(change.target.account_id, set()).add(change.target.destination)
    stopped = {
        (account_id, number)
        for account_id, among in numbers.items()
        for number in listed_among(conn, account_id=account_id, numbers=sorted(among))[0]
    }
    events = []
    for change in final:
        target = change.target
        assert target.callback_id is not None
        body = callback_dlr_body(
            status=MessageStatus(change.status),
            at_ms=change.done_at,
            destination=target.destination,
            campaign_id=target.campaign_id,
            cost=target.cost,
            stop_sms=(target.account_id, target.destination) in stopped,
        ).decode()
        events.append(NewEvent(target.callback_id, target.account_id, CALLBACK_DLR, body, now_ms))
    return events


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
    events += _response_callbacks(conn, owned, now_ms)
    outbox.enqueue(conn, events)
    return len(events)


def _response_callbacks(
    conn: Connection, owned: Sequence[tuple[InboundRow, LastMessage]], now_ms: int
) -> list[NewEvent]:
    """The `urlResponse` callback of each reply (or STOP) whose answered campaign has one."""
    hooks = reply_webhooks(conn, [last.campaign_id for _, last in owned])
    events = []
    for row, last in owned:
        webhook_id = hooks.get(last.campaign_id)
        if webhook_id is not None:
            body = callback_response_body(
                is_stop=row.is_stop, source=row.source, text=row.text, campaign_id=last.campaign_id
            ).decode()
            events.append(NewEvent(webhook_id, last.account_id, CALLBACK_RESPONSE, body, now_ms))
    return events


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
