"""A Skycore postback against a real HTTP receiver on loopback: POSTed as its JSON body,
retried every 5 minutes (±10 %) whatever the platform's webhook schedule, at most 5 times,
then failed for good."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from tests.support import fetch_all, make_customer
from tests.webhooks.receiver import Receiver

from relais.core.connector import SubmitOutcome
from relais.core.instant import to_ms
from relais.core.status import MessageStatus
from relais.services import delivery_reports, skycore_settings
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store.tables import webhook_attempts, webhook_events
from relais.webhooks.sender import WebhookSender


async def test_a_failing_postback_url_is_tried_six_times_five_minutes_apart(platform):
    now = [datetime(2026, 12, 4, 12, 0, tzinfo=UTC)]
    platform.clock = lambda: now[0]
    platform.settings = replace(
        platform.settings, webhook_allow_private=True, webhook_retry_schedule=(5, 5, 5)
    )
    shop = await make_customer(platform)
    async with Receiver(default=500) as receiver:
        await skycore_settings.set_settings(
            platform, actor="test", account_id=shop.account.id, postback_url=receiver.url
        )
        await send(
            platform,
            account=shop.account,
            submission=Submission("Hi", [Recipient("12025550123")], sender="00000"),
        )
        at = to_ms(now[0])
        [message] = await delivery_reports.claim_due(
            platform, connector="simulator", now_ms=at, limit=1, lease_ms=60_000
        )
        sent = SubmitOutcome(message.id, "sim", MessageStatus.SENT, carrier_ids=("c1",))
        await delivery_reports.record_submits(platform, [sent], now_ms=at)
        sender = WebhookSender(platform)
        try:
            await sender.deliver_due()
            for _ in range(7):
                now[0] += timedelta(seconds=265)  # sooner than 5 min - 10 %: not due yet
                await sender.deliver_due()
                now[0] += timedelta(seconds=70)  # past 5 min + 10 %
                await sender.deliver_due()
        finally:
            await sender.stop()
    assert len(receiver.received) == 6
    body = json.loads(receiver.received[0].body)
    assert (body["origin"], body["code"], body["to"]) == ("SMS_MT", "N201", "12025550123")
    [row] = await fetch_all(platform, select(webhook_events.c.status, webhook_events.c.attempts))
    assert tuple(row) == ("failed", 6)


async def test_a_postback_url_on_a_private_address_is_refused_at_delivery(platform):
    """The postback URL is a URL Relais calls: the webhooks' address rules apply to it."""
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    platform.clock = lambda: now
    platform.settings = replace(platform.settings, webhook_allow_private=False)
    shop = await make_customer(platform)
    async with Receiver() as receiver:
        await skycore_settings.set_settings(
            platform, actor="test", account_id=shop.account.id, postback_url=receiver.url
        )
        await send(
            platform,
            account=shop.account,
            submission=Submission("Hi", [Recipient("12025550123")], sender="00000"),
        )
        [message] = await delivery_reports.claim_due(
            platform, connector="simulator", now_ms=to_ms(now), limit=1, lease_ms=60_000
        )
        sent = SubmitOutcome(message.id, "sim", MessageStatus.SENT, carrier_ids=("c1",))
        await delivery_reports.record_submits(platform, [sent], now_ms=to_ms(now))
        sender = WebhookSender(platform)
        try:
            await sender.deliver_due()
        finally:
            await sender.stop()
    assert receiver.received == []
    [(code, error)] = await fetch_all(
        platform, select(webhook_attempts.c.http_code, webhook_attempts.c.error)
    )
    assert code is None and "127.0.0.1" in error
