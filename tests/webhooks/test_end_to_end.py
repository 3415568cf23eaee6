"""From a send to a customer's endpoint: a serving process (dispatcher, built-in carrier,
webhook sender) takes `GET /send` over HTTP, delivers the SMS, and its delivery receipt
reaches a real HTTP receiver as a signed DLR webhook, counted in /metrics, on both backends."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace

import httpx
from tests.support import make_customer, wait_until
from tests.webhooks.receiver import Receiver

from relais.api.app import create_app
from relais.server.background import running
from relais.services.platform import Platform

SECRET = "e2e-secret"


async def test_a_receipt_reaches_the_customer_as_a_signed_dlr_webhook(settings):
    serving = Platform.open(
        replace(
            settings,
            dispatcher_enabled=True,
            simulator_receipt_delay_ms=10,
            webhook_allow_private=True,
        )
    )
    async with Receiver() as receiver, running(serving):
        shop = await make_customer(serving, credits=10)
        transport = httpx.ASGITransport(app=create_app(serving))
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://relais.test",
            headers={"Accept": "application/json", **shop.bearer},
        ) as client:
            created = await client.post(
                "/webhook",
                json={"webhook": {"type": "DLR", "url": receiver.url, "signature": SECRET}},
            )
            assert created.json()["status"] == 1
            await serving.refresh_cache_epochs()
            sent = await client.get(
                "/send", params={"to": "33612345678", "text": "Hi", "gsmsmsid": "abc"}
            )
            assert sent.json()["status"] == 1
            ticket = sent.json()["ticket"]

            async def told() -> bool:
                return bool(receiver.received)

            await wait_until(told, seconds=10)

            async def settled() -> bool:
                exposed = (await client.get("/metrics")).text
                return "relais_webhook_events_delivered_total 1.0" in exposed

            # Operators see it: delivered, and nothing left waiting once the sender looked.
            await wait_until(settled, seconds=10)
            exposed = (await client.get("/metrics")).text
            assert "relais_webhook_attempts_failed_total 0.0" in exposed
    [request] = receiver.received
    body = json.loads(request.body)
    assert (body["status"], body["destination"], body["message_id"], body["campaign_id"]) == (
        3,
        "33612345678",
        "abc",
        str(ticket),
    )
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-smsfactor-signature"] == expected
