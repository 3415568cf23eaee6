"""One account, two dialects: a message sent through Skycore is billed from the same
balance, appears in SMSFactor's GET /messages and GET /campaign/:id (its tracking-id is the
ticket), goes to the carrier with its tracked links, and a number blacklisted through
SMSFactor is refused through Skycore (and a STOP to a Skycore message blacklists it for
SMSFactor too)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.api.skycore.support import ALL_TIME, MSISDN, call, sms

from relais.core.instant import to_ms
from relais.services.delivery_reports import claim_due, record_inbound
from relais.services.short_links import link_base

LINK = "https://shop.example/spring?id=7"


async def test_sent_through_skycore_is_seen_and_billed_through_smsfactor(client, customer):
    credits_before = (await client.get("/credits", headers=customer.bearer)).json()["credits"]
    reply = await call(client, customer.token, sms(**{"message-text": "Hello from Skycore"}))
    ticket = reply["tracking-id"]
    listing = await client.get("/messages", params=ALL_TIME, headers=customer.bearer)
    [message] = listing.json()["messages"]
    assert message["campaign_id"] == int(ticket)
    assert (message["destination"], message["message"]) == (MSISDN, "Hello from Skycore")
    assert (message["sender"], message["country"]) == ("00000", "US")
    assert message["status"] == "WAITING"
    campaign = (await client.get(f"/campaign/{ticket}", headers=customer.bearer)).json()
    [details] = campaign["campaign"]
    assert details["total"] == "1" and details["text"] == "Hello from Skycore"
    credits_after = (await client.get("/credits", headers=customer.bearer)).json()["credits"]
    assert int(credits_before) - int(credits_after) == int(details["cost"]) > 0


async def test_tracked_links_go_to_the_carrier_and_count_clicks(client, customer, platform):
    body = sms(**{"message-text": f"Spring sale: {LINK}.", "click-tracking": "yes"})
    reply = await call(client, customer.token, body)
    [claimed] = await claim_due(
        platform,
        connector="simulator",
        now_ms=to_ms(datetime.now(UTC)) + 1000,
        limit=10,
        lease_ms=60_000,
    )
    base = link_base(platform.settings)
    match = re.fullmatch(re.escape(f"Spring sale: {base}/") + r"([0-9A-Za-z]{7})\.", claimed.text)
    assert match, claimed.text
    followed = await client.get(
        f"/l/{match[1]}", headers={"User-Agent": "Mozilla/5.0 (iPhone)"}, follow_redirects=False
    )
    assert (followed.status_code, followed.headers["location"]) == (302, LINK)
    campaign = (
        await client.get(f"/campaign/{reply['tracking-id']}", headers=customer.bearer)
    ).json()
    assert campaign["campaign"][0]["clicks"] == "1"


async def test_without_click_tracking_links_go_as_written(client, customer, platform):
    await call(
        client, customer.token, sms(**{"message-text": f"See {LINK}", "click-tracking": False})
    )
    listing = await client.get("/messages", params=ALL_TIME, headers=customer.bearer)
    assert listing.json()["messages"][0]["message"] == f"See {LINK}"


async def test_blacklisted_through_smsfactor_is_refused_through_skycore(client, customer):
    listed = await client.post(
        "/blacklist", json={"blacklist": {"contacts": {"gsm": [MSISDN]}}}, headers=customer.bearer
    )
    assert listed.json()["status"] == 1
    reply = await call(client, customer.token, sms())
    assert (reply["status"], reply["error-code"]) == ("Failure", "E116")
    listing = await client.get("/messages", params=ALL_TIME, headers=customer.bearer)
    assert listing.json()["messages"] == []


async def test_a_stop_to_a_skycore_message_blacklists_for_smsfactor(client, customer, platform):
    await call(client, customer.token, sms())
    at = to_ms(datetime.now(UTC))
    await record_inbound(platform, messages=[("simulator", MSISDN, "00000", "STOP", at)])
    blacklist = (await client.get("/blacklist", headers=customer.bearer)).json()
    assert [entry["destination"] for entry in blacklist["list"]] == [MSISDN]
    sent = await client.get("/send", params={"to": MSISDN, "text": "Hi"}, headers=customer.bearer)
    assert (sent.json()["sent"], sent.json()["blacklisted"]) == (0, 1)
