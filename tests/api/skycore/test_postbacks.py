"""Postbacks to the account's postback URL (§3.2): MT N201 sent, N202 delivered, E201
failed, E202 rejected and MO N211, written to the webhook outbox in the transaction of the
change (so delivered at least once by the webhook sender), retried every 5 minutes at most
5 times; the URL's webhooks are invisible to SMSFactor's /webhook."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from tests.api.skycore.support import MSISDN, call, sms
from tests.support import fetch_all

from relais.core.connector import Receipt, SubmitOutcome
from relais.core.instant import to_ms
from relais.core.skycore_postbacks import RETRY_SCHEDULE
from relais.core.status import MessageStatus
from relais.core.webhook_retry import next_attempt_delay
from relais.services import delivery_reports, skycore_settings, webhooks
from relais.store.tables import webhook_events
from relais.store.tables import webhooks as webhook_table

URL = "https://hooks.example.com/skycore"
AT = datetime(2026, 1, 26, 18, 0, 7, 990498, tzinfo=UTC)


async def postback_url(platform, customer, url: str = URL) -> None:
    await skycore_settings.set_settings(
        platform, actor="test", account_id=customer.account.id, postback_url=url
    )


async def outbox(platform) -> list[tuple[str, dict]]:
    rows = await fetch_all(
        platform,
        select(webhook_events.c.type, webhook_events.c.payload).order_by(webhook_events.c.id),
    )
    return [(kind, json.loads(payload)) for kind, payload in rows]


async def submitted(client, customer, platform, outcome: MessageStatus, **fields) -> str:
    """A Skycore send, claimed and answered by the carrier with `outcome`; its tracking-id."""
    reply = await call(client, customer.token, sms(**fields))
    now = to_ms(datetime.now(UTC))
    [message] = await delivery_reports.claim_due(
        platform, connector="simulator", now_ms=now + 1000, limit=10, lease_ms=60_000
    )
    result = SubmitOutcome(message.id, "sim", outcome, carrier_ids=("c1",))
    await delivery_reports.record_submits(platform, [result], now_ms=to_ms(AT))
    return reply["tracking-id"]


def mt(code: str, status: str, tracking_id: str, sender: str = "00000") -> dict:
    return {
        "origin": "SMS_MT",
        "code": code,
        "sent-as": "SMS",
        "status": status,
        "from": sender,
        "to": MSISDN,
        "tracking-id": tracking_id,
        "timestamp": "2026-01-26T18:00:07.990000+00:00",
    }


async def test_sent_then_delivered_are_n201_then_n202(client, customer, platform):
    await postback_url(platform, customer)
    tracking = await submitted(client, customer, platform, MessageStatus.SENT)
    receipt = Receipt("sim", ("c1",), MessageStatus.DELIVERED, to_ms(AT))
    assert (await delivery_reports.apply_receipts(platform, [receipt]))[0] == 1
    assert await outbox(platform) == [
        ("SKYCORE_MT", mt("N201", "Sent", tracking)),
        ("SKYCORE_MT", mt("N202", "Delivered", tracking)),
    ]


@pytest.mark.parametrize(
    ("final", "code", "word"),
    [
        (MessageStatus.NOT_DELIVERED, "E201", "Failed"),
        (MessageStatus.EXPIRED, "E201", "Failed"),
        (MessageStatus.REJECTED, "E202", "Rejected"),
        (MessageStatus.INVALID_DESTINATION, "E202", "Rejected"),
    ],
)
async def test_a_failed_receipt_is_e201_and_a_rejected_one_e202(
    client, customer, platform, final, code, word
):
    await postback_url(platform, customer)
    tracking = await submitted(client, customer, platform, MessageStatus.SENT)
    await delivery_reports.apply_receipts(platform, [Receipt("sim", ("c1",), final, to_ms(AT))])
    assert [body["code"] for _, body in await outbox(platform)] == ["N201", code]
    assert (await outbox(platform))[1][1] == mt(code, word, tracking)


async def test_a_carrier_refusing_the_submit_is_e202_with_the_mask(client, customer, platform):
    await postback_url(platform, customer)
    tracking = await submitted(
        client, customer, platform, MessageStatus.REJECTED, **{"from-mask": "Shop"}
    )
    assert await outbox(platform) == [("SKYCORE_MT", mt("E202", "Rejected", tracking, "Shop"))]


async def test_a_reply_and_a_stop_are_n211(client, customer, platform):
    await postback_url(platform, customer)
    await call(client, customer.token, sms())
    at = to_ms(AT)
    await delivery_reports.record_inbound(
        platform,
        messages=[("sim", MSISDN, "00000", "Yes please", at), ("sim", MSISDN, "00000", "STOP", at)],
    )
    mo = {
        "origin": "SMS_MO",
        "code": "N211",
        "from": MSISDN,
        "to": "00000",
        "timestamp": "2026-01-26T18:00:07.990000+00:00",
    }
    assert await outbox(platform) == [
        ("SKYCORE_MO", {**mo, "text": "Yes please"}),
        ("SKYCORE_MO", {**mo, "text": "STOP"}),
    ]


async def test_no_postback_url_no_postback_and_smsfactor_webhooks_unchanged(
    client, customer, platform
):
    hook = await webhooks.create_webhook(
        platform, account_id=customer.account.id, type="DLR", url=URL
    )
    await submitted(client, customer, platform, MessageStatus.SENT)
    receipt = Receipt("sim", ("c1",), MessageStatus.DELIVERED, to_ms(AT))
    await delivery_reports.apply_receipts(platform, [receipt])
    # The SMSFactor DLR webhook hears the final status only, as before.
    assert [(kind, body["status"]) for kind, body in await outbox(platform)] == [("DLR", 3)]
    assert hook.type == "DLR"


async def test_postback_webhooks_are_hidden_from_smsfactor_and_follow_the_url(
    client, customer, platform
):
    await postback_url(platform, customer)
    listed = await client.get("/webhook", headers=customer.bearer)
    assert listed.json()["status"] == 1 and listed.json()["webhooks"] == []
    rows = await fetch_all(platform, select(webhook_table.c.type, webhook_table.c.url))
    assert sorted(rows) == [("SKYCORE_MO", URL), ("SKYCORE_MT", URL)]
    for webhook_id, _ in [
        (r, None) for (r,) in await fetch_all(platform, select(webhook_table.c.id))
    ]:
        changed = await client.put(
            f"/webhook/{webhook_id}",
            json={"webhook": {"url": "https://evil.example/"}},
            headers=customer.bearer,
        )
        assert changed.json()["status"] != 1
        removed = await client.delete(f"/webhook/{webhook_id}", headers=customer.bearer)
        assert removed.json()["status"] != 1
    await postback_url(platform, customer, URL + "/v2")
    rows = await fetch_all(platform, select(webhook_table.c.type, webhook_table.c.url))
    assert sorted(rows) == [("SKYCORE_MO", URL + "/v2"), ("SKYCORE_MT", URL + "/v2")]
    await submitted(client, customer, platform, MessageStatus.SENT)
    await postback_url(platform, customer, "")
    assert await fetch_all(platform, select(webhook_table.c.id)) == []
    assert await outbox(platform) == []


def test_postbacks_are_retried_every_five_minutes_five_times():
    delays = [next_attempt_delay(n, RETRY_SCHEDULE, jitter=0.5) for n in range(1, 7)]
    assert delays == [300.0] * 5 + [None]
