"""A send's `urlDlr` and `urlResponse` (api_reference §2.5, docs/smspartner.md): the final
report of each message and the replies and STOPs to the campaign reach a real HTTP receiver
through the webhook outbox and its sender (signed when asked, retried with one webhook-id);
a send without URLs makes no callback event; a URL a webhook could not have is refused with
nothing stored; the callbacks' webhooks are not SMSFactor's."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select
from tests.api.smspartner.partner import MOBILE, MSISDN, TUESDAY, at, stored
from tests.support import fetch_all, fetch_value, make_customer, wait_until
from tests.webhooks.receiver import Receiver

from relais.api.app import create_app
from relais.core.connector import Receipt, SubmitOutcome
from relais.core.instant import to_ms
from relais.core.status import MessageStatus
from relais.server.background import running
from relais.services import delivery_reports
from relais.services.platform import Platform
from relais.store.tables import campaigns, webhook_events, webhooks
from relais.webhooks.sender import WebhookSender

SECRET = "partner-secret"
NOW_MS = to_ms(TUESDAY)


@pytest.fixture
def local(platform: Platform) -> Platform:
    """The platform at a fixed Tuesday, its webhooks allowed to reach the loopback receiver."""
    at(platform, TUESDAY)
    platform.settings = replace(
        platform.settings, webhook_allow_private=True, webhook_retry_schedule=(5, 60)
    )
    return platform


@contextlib.asynccontextmanager
async def sending(platform: Platform) -> AsyncIterator[WebhookSender]:
    sender = WebhookSender(platform)
    try:
        yield sender
    finally:
        await sender.stop()


async def send(client, customer, **fields) -> dict:
    request = {"apiKey": customer.token, "phoneNumbers": MOBILE, "message": "Bonjour", **fields}
    return (await client.post("/v1/send", json=request)).json()


async def delivered(platform: Platform, final: MessageStatus = MessageStatus.DELIVERED) -> None:
    """The carrier takes the queued message, then reports `final` for it."""
    [message] = await delivery_reports.claim_due(
        platform, connector="simulator", now_ms=NOW_MS + 1000, limit=10, lease_ms=60_000
    )
    taken = SubmitOutcome(message.id, "sim", MessageStatus.SENT, carrier_ids=("c1",))
    await delivery_reports.record_submits(platform, [taken], now_ms=NOW_MS + 1000)
    receipt = Receipt("sim", ("c1",), final, NOW_MS + 5000)
    assert (await delivery_reports.apply_receipts(platform, [receipt]))[0] == 1


async def event_types(platform: Platform) -> list[str]:
    return [kind for (kind,) in await fetch_all(platform, select(webhook_events.c.type))]


async def test_urldlr_receives_the_final_report_signed(client, customer, local):
    async with Receiver() as receiver, sending(local) as sender:
        answer = await send(client, customer, urlDlr=receiver.url, callbackSignature=SECRET)
        assert answer["success"] is True
        await delivered(local)
        assert await sender.deliver_due() == 1
    [request] = receiver.received
    assert (request.method, request.target) == ("POST", "/hook")
    assert json.loads(request.body) == {
        "type": "dlr",
        "message_id": answer["message_id"],
        "phone_number": MOBILE,
        "status": "Delivered",
        "date": str((NOW_MS + 5000) // 1000),
        "stopSms": False,
        "cost": 0.045,
        "currency": "EUR",
    }
    expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-smsfactor-signature"] == expected
    # Standard Webhooks' signature (the fixed clock is too old for the library's 5 minutes).
    signed = f"{request.headers['webhook-id']}.{request.headers['webhook-timestamp']}.".encode()
    digest = hmac.new(SECRET.encode(), signed + request.body, hashlib.sha256).digest()
    assert request.headers["webhook-signature"] == "v1," + base64.b64encode(digest).decode()


async def test_a_failed_message_is_reported_not_delivered_and_unsigned_without_a_key(
    client, customer, local
):
    async with Receiver() as receiver, sending(local) as sender:
        await send(client, customer, urlDlr=receiver.url)
        await delivered(local, MessageStatus.REJECTED)
        await sender.deliver_due()
    [request] = receiver.received
    assert json.loads(request.body)["status"] == "Not delivered"
    assert "x-smsfactor-signature" not in request.headers
    assert request.headers["webhook-id"].startswith("evt_")


async def test_a_failing_urldlr_is_retried_with_the_same_webhook_id(client, customer, local):
    async with Receiver(answers=[503]) as receiver, sending(local) as sender:
        await send(client, customer, urlDlr=receiver.url)
        await delivered(local)
        await sender.deliver_due()
        assert await sender.deliver_due() == 0  # not due again yet
        at(local, TUESDAY + timedelta(seconds=10))
        assert await sender.deliver_due() == 1
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    status = await fetch_value(local, select(webhook_events.c.status))
    assert status == "delivered"


async def test_urlresponse_receives_replies_and_stops_to_the_campaign(client, customer, local):
    async with Receiver() as receiver, sending(local) as sender:
        answer = await send(client, customer, urlResponse=receiver.url)
        await delivered(local)
        await delivery_reports.record_inbound(
            local,
            messages=[
                ("sim", MSISDN, "36179", "Oui merci", NOW_MS + 6000),
                ("sim", MSISDN, "36179", "STOP", NOW_MS + 7000),
            ],
        )
        assert await sender.deliver_due() == 2
    assert [json.loads(request.body) for request in receiver.received] == [
        {
            "type": "response",
            "phone_number": MOBILE,
            "text": "Oui merci",
            "message_id": answer["message_id"],
        },
        {
            "type": "stop",
            "phone_number": MOBILE,
            "text": "STOP",
            "message_id": answer["message_id"],
        },
    ]
    # urlResponse is not urlDlr: the receipt made no callback of its own.
    assert await event_types(local) == ["SMSPARTNER_RESPONSE", "SMSPARTNER_RESPONSE"]


async def test_the_dlr_after_a_stop_says_stopsms(client, customer, local):
    async with Receiver() as receiver, sending(local) as sender:
        await send(client, customer, urlDlr=receiver.url)
        await delivery_reports.record_inbound(
            local, messages=[("sim", MSISDN, "36179", "STOP", NOW_MS + 500)]
        )
        await delivered(local)
        await sender.deliver_due()
    [request] = receiver.received
    assert json.loads(request.body)["stopSms"] is True


async def test_a_send_without_urls_makes_no_callback_event_nor_webhook(client, customer, local):
    await send(client, customer)
    await delivered(local)
    await delivery_reports.record_inbound(
        local, messages=[("sim", MSISDN, "36179", "Oui", NOW_MS + 6000)]
    )
    assert await event_types(local) == []
    assert await fetch_all(local, select(webhooks.c.id)) == []
    ids = await fetch_all(local, select(campaigns.c.dlr_webhook_id, campaigns.c.reply_webhook_id))
    assert ids == [(None, None)]


async def test_sends_to_one_url_share_one_hidden_webhook_bulk_send_included(
    client, customer, local
):
    url = "https://hooks.example.com/dlr?shop=1"
    await send(client, customer, urlDlr=url, urlResponse=url)
    await send(client, customer, urlDlr=url)
    bulk = {
        "apiKey": customer.token,
        "urlDlr": url,
        "SMSList": [{"phoneNumber": "0612345671", "message": "a"}],
    }
    assert (await client.post("/v1/bulk-send", json=bulk)).json()["success"] is True
    hooks = await fetch_all(local, select(webhooks.c.id, webhooks.c.type).order_by(webhooks.c.id))
    assert [kind for _, kind in hooks] == ["SMSPARTNER_DLR", "SMSPARTNER_RESPONSE"]
    named = await fetch_all(
        local,
        select(campaigns.c.dlr_webhook_id, campaigns.c.reply_webhook_id).order_by(campaigns.c.id),
    )
    assert named == [(hooks[0][0], hooks[1][0]), (hooks[0][0], None), (hooks[0][0], None)]


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("urlDlr", "ftp://hooks.example.com/dlr"),
        ("urlDlr", "https://user:secret@hooks.example.com/dlr"),
        ("urlDlr", "https:///no-host"),
        ("urlResponse", "http://hooks.example.com:0/mo"),
        ("urlResponse", "http://169.254.169.254/latest/meta-data"),  # even when private is allowed
        ("urlDlr", "https://hooks.example.com/" + "a" * 480),
    ],
)
async def test_an_invalid_url_is_refused_and_nothing_stored(client, customer, local, field, url):
    before = await stored(local)
    answer = await send(client, customer, **{field: url})
    assert answer["success"] is False and answer["code"] == 9
    assert [item["elementId"] for item in answer["error"]] == [f"children[{field}].data"]
    assert await stored(local) == before
    assert await fetch_value(local, select(func.count()).select_from(webhooks)) == 0


@pytest.mark.parametrize("url", ["http://127.0.0.1/dlr", "http://10.0.0.8/dlr", "http://[::1]/"])
async def test_a_private_address_is_refused_when_the_operator_does_not_allow_them(
    client, customer, platform, url
):
    at(platform, TUESDAY)
    answer = await send(client, customer, urlDlr=url)
    assert (answer["success"], answer["code"]) == (False, 9)
    assert "autorisee" in answer["error"][0]["message"]
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 0
    bulk = {
        "apiKey": customer.token,
        "urlResponse": url,
        "SMSList": [{"phoneNumber": MOBILE, "message": "a"}],
    }
    refused = (await client.post("/v1/bulk-send", json=bulk)).json()
    assert (refused["success"], refused["code"]) == (False, 9)
    assert await fetch_value(platform, select(func.count()).select_from(webhooks)) == 0


async def test_the_callbacks_are_not_smsfactor_webhooks(client, customer, local):
    await send(client, customer, urlDlr="https://hooks.example.com/dlr")
    listed = (await client.get("/webhook", headers=customer.bearer)).json()
    assert listed["status"] == 1 and listed["webhooks"] == []
    [(webhook_id,)] = await fetch_all(local, select(webhooks.c.id))
    changed = await client.put(
        f"/webhook/{webhook_id}",
        json={"webhook": {"url": "https://evil.example/"}},
        headers=customer.bearer,
    )
    assert changed.json()["status"] != 1
    removed = await client.delete(f"/webhook/{webhook_id}", headers=customer.bearer)
    assert removed.json()["status"] != 1
    assert await fetch_all(local, select(webhooks.c.url)) == [("https://hooks.example.com/dlr",)]


async def test_a_smsfactor_dlr_webhook_still_hears_a_callback_send_once(client, customer, local):
    created = await client.post(
        "/webhook",
        json={"webhook": {"type": "DLR", "url": "https://hooks.example.com/smsfactor"}},
        headers=customer.bearer,
    )
    assert created.json()["status"] == 1
    await send(client, customer, urlDlr="https://hooks.example.com/partner")
    await delivered(local)
    assert sorted(await event_types(local)) == ["DLR", "SMSPARTNER_DLR"]


async def test_a_served_send_with_urldlr_reaches_the_receiver(settings):
    """The whole way: the serving process's dispatcher, built-in carrier and webhook sender."""
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
        async with httpx.AsyncClient(transport=transport, base_url="http://relais.test") as client:
            answer = await send(client, shop, urlDlr=receiver.url)
            assert answer["success"] is True

            async def told() -> bool:
                return bool(receiver.received)

            await wait_until(told, seconds=10)
    body = json.loads(receiver.received[0].body)
    assert (body["type"], body["message_id"], body["status"]) == (
        "dlr",
        answer["message_id"],
        "Delivered",
    )


async def test_a_sandbox_or_refused_send_makes_no_callback_webhook(client, platform):
    at(platform, TUESDAY)
    poor = await make_customer(platform, email="poor@example.com", credits=0)
    url = "https://hooks.example.com/dlr"
    sandbox = await send(client, poor, urlDlr=url, urlResponse=url, sandbox=1)
    assert (sandbox["success"], sandbox["code"]) == (False, 11)
    refused = await send(client, poor, urlDlr=url, urlResponse=url)
    assert (refused["success"], refused["code"]) == (False, 11)
    assert await fetch_value(platform, select(func.count()).select_from(webhooks)) == 0
    rich = await make_customer(platform, email="rich@example.com")
    tried = await send(client, rich, urlDlr=url, sandbox=1)
    assert (tried["success"], tried["message_id"]) == (True, 0)
    assert await fetch_value(platform, select(func.count()).select_from(webhooks)) == 0


async def test_a_url_that_answered_410_is_paused_until_a_send_names_it_again(
    client, customer, local
):
    async with Receiver(answers=[410]) as receiver, sending(local) as sender:
        await send(client, customer, urlDlr=receiver.url)
        await delivered(local)
        await sender.deliver_due()
        assert await fetch_all(local, select(webhooks.c.status)) == [("paused",)]
        await send(client, customer, urlDlr=receiver.url)
        assert await fetch_all(local, select(webhooks.c.status)) == [("live",)]
        at(local, TUESDAY + timedelta(seconds=10))
        assert await sender.deliver_due() == 1  # the report kept while paused
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body
