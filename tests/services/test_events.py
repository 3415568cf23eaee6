"""Webhook events are written in the transaction of the change that causes them (through
services.delivery_reports), one per live webhook of the account for that type, with the
reference's payloads; nothing for accounts without one, nothing twice for one change."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from tests.support import fetch_all, make_customer

from relais.core.connector import Receipt, SubmitOutcome
from relais.core.instant import to_ms
from relais.core.status import MessageStatus
from relais.services import delivery_reports, webhooks
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store.tables import webhook_events

MOBILE = "33612345678"
URL = "https://hooks.example.com/sms"


async def events(platform) -> list[tuple[int, str, dict]]:
    rows = await fetch_all(
        platform,
        select(
            webhook_events.c.webhook_id, webhook_events.c.type, webhook_events.c.payload
        ).order_by(webhook_events.c.id),
    )
    return [(hook, kind, json.loads(payload)) for hook, kind, payload in rows]


async def sent_message(platform, account, *, gsmsmsid: str | None = "my-id-1") -> tuple[int, int]:
    """One message sent, claimed and submitted with carrier id "c1": (ticket, now ms)."""
    report = await send(
        platform,
        account=account,
        submission=Submission("Hi", [Recipient(MOBILE, gsmsmsid)]),
    )
    now = to_ms(datetime.now(UTC))
    [message] = await delivery_reports.claim_due(
        platform, connector="simulator", now_ms=now, limit=10, lease_ms=60_000
    )
    sent = SubmitOutcome(message.id, "sim", MessageStatus.SENT, carrier_ids=("c1",))
    await delivery_reports.record_submits(platform, [sent], now_ms=now)
    return report.ticket, now


async def test_a_delivered_receipt_is_one_dlr_event_per_live_webhook(platform):
    shop = await make_customer(platform, credits=10)
    first = await webhooks.create_webhook(platform, account_id=shop.account.id, type="DLR", url=URL)
    second = await webhooks.create_webhook(
        platform, account_id=shop.account.id, type="dlr", url=URL + "/2"
    )
    await webhooks.create_webhook(platform, account_id=shop.account.id, type="MO", url=URL)
    ticket, _ = await sent_message(platform, shop.account)
    done = to_ms(datetime(2026, 1, 16, 10, 55, 12, tzinfo=UTC))
    receipt = Receipt("sim", ("c1",), MessageStatus.DELIVERED, done)
    assert (await delivery_reports.apply_receipts(platform, [receipt]))[0] == 1
    body = {
        "date": "2026-01-16T11:55:12+01:00",
        "status": 3,
        "destination": MOBILE,
        "message_id": "my-id-1",
        "campaign_id": str(ticket),
        "country_code": "FR",
    }
    assert await events(platform) == [
        (first.id, "DLR", body),
        (second.id, "DLR", body),
    ]
    # The same receipt again moves nothing and tells nobody twice.
    await delivery_reports.apply_receipts(platform, [receipt])
    assert len(await events(platform)) == 2


async def test_no_webhook_no_event_and_others_webhooks_are_not_told(platform):
    shop = await make_customer(platform, credits=10)
    other = await make_customer(platform, email="other@example.com", credits=10)
    await webhooks.create_webhook(platform, account_id=other.account.id, type="DLR", url=URL)
    paused = await webhooks.create_webhook(
        platform, account_id=shop.account.id, type="DLR", url=URL
    )
    await webhooks.set_status(
        platform, account_id=shop.account.id, webhook_id=paused.id, status="paused"
    )
    _, now = await sent_message(platform, shop.account)
    receipt = Receipt("sim", ("c1",), MessageStatus.DELIVERED, now + 5)
    await delivery_reports.apply_receipts(platform, [receipt])
    assert await events(platform) == []


async def test_a_rejected_submit_and_an_expiry_are_dlr_events(platform):
    shop = await make_customer(platform, credits=10)
    hook = await webhooks.create_webhook(platform, account_id=shop.account.id, type="DLR", url=URL)
    await send(
        platform,
        account=shop.account,
        submission=Submission("Hi", [Recipient(MOBILE), Recipient("33612345679", "x2")]),
    )
    now = to_ms(datetime.now(UTC))
    first, second = await delivery_reports.claim_due(
        platform, connector="simulator", now_ms=now, limit=10, lease_ms=60_000
    )
    outcomes = [
        SubmitOutcome(first.id, "sim", MessageStatus.REJECTED, error="ESME_RINVDSTADR"),
        SubmitOutcome(second.id, "sim", MessageStatus.SENT, carrier_ids=("c2",)),
    ]
    await delivery_reports.record_submits(platform, outcomes, now_ms=now)
    await delivery_reports.settle_overdue(
        platform, now_ms=now + 10_000, part_grace_ms=1_000, validity_ms=5_000
    )
    told = await events(platform)
    assert [
        (h, kind, body["destination"], body["status"], body["message_id"]) for h, kind, body in told
    ] == [
        (hook.id, "DLR", MOBILE, 9, None),
        (hook.id, "DLR", "33612345679", 12, "x2"),
    ]


async def test_replies_are_mo_events_and_stops_are_stop_events(platform):
    shop = await make_customer(platform, credits=10)
    mo = await webhooks.create_webhook(platform, account_id=shop.account.id, type="MO", url=URL)
    stop = await webhooks.create_webhook(platform, account_id=shop.account.id, type="STOP", url=URL)
    await sent_message(platform, shop.account, gsmsmsid="last-one")
    at = to_ms(datetime(2017, 8, 7, 11, 1, 29, tzinfo=UTC))
    owners = await delivery_reports.record_inbound(
        platform,
        messages=[
            ("sim", MOBILE, "36000", "Webhooks are awesome!", at),
            ("sim", MOBILE, "36000", "STOP", at + 1000),
            ("sim", "33699999999", "36000", "Who?", at),  # nobody wrote to this number
        ],
    )
    assert owners == [shop.account.id, shop.account.id, None]
    reply = {
        "date": "2017-08-07T13:01:29+02:00",
        "message": "Webhooks are awesome!",
        "from": MOBILE,
        "account_id": str(shop.account.id),
        "last_message_id": "last-one",
    }
    assert await events(platform) == [
        (mo.id, "MO", reply),
        (stop.id, "STOP", {**reply, "date": "2017-08-07T13:01:30+02:00", "message": "STOP"}),
    ]
