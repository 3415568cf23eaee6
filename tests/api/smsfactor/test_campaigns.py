"""DELETE /send/:id, GET /credits, GET /campaign/:id, GET /campaigns, and client quirks."""

from __future__ import annotations

import asyncio
from xml.etree import ElementTree

from sqlalchemy import func, select
from tests.support import fetch_value, make_customer

from relais.store.tables import credit_ledger

MOBILE = "33612345678"
LATER = "2099-06-15 10:00:00"


async def schedule(client, customer, *numbers: str) -> str:
    body = {
        "sms": {
            "message": {"text": "Later", "delay": LATER},
            "recipients": {"gsm": [{"value": n} for n in numbers]},
        }
    }
    reply = await client.post("/send", json=body, headers=customer.bearer)
    assert reply.json()["status"] == 1
    return reply.json()["ticket"]


async def test_cancel_scheduled_campaign_refunds_once(client, customer, platform):
    ticket = await schedule(client, customer, MOBILE, "33612345677")
    assert (await client.get("/credits", headers=customer.bearer)).json()["credits"] == "98"
    reply = await client.delete(f"/send/{ticket}", headers=customer.bearer)
    assert reply.json() == {"status": 1, "message": "OK", "credits": 100}
    again = await client.delete(f"/send/{ticket}", headers=customer.bearer)
    assert again.json()["status"] == -7
    assert (await client.get("/credits", headers=customer.bearer)).json()["credits"] == "100"
    refunds = await fetch_value(
        platform, select(func.count()).where(credit_ledger.c.reason == "refund")
    )
    assert refunds == 1
    campaign = (await client.get(f"/campaign/{ticket}", headers=customer.bearer)).json()
    assert campaign["campaign"][0]["status"] == "Cancelled"


async def test_another_account_cannot_cancel_a_scheduled_campaign(client, customer, platform):
    ticket = await schedule(client, customer, MOBILE)
    other = await make_customer(platform, email="other@example.com")
    reply = await client.delete(f"/send/{ticket}", headers=other.bearer)
    assert reply.json()["status"] == -5
    campaign = (await client.get(f"/campaign/{ticket}", headers=customer.bearer)).json()
    assert campaign["campaign"][0]["status"] != "Cancelled"
    assert (await client.get("/credits", headers=customer.bearer)).json()["credits"] == "99"
    assert (await client.get("/credits", headers=other.bearer)).json()["credits"] == "100"


async def test_concurrent_cancels_refund_exactly_once(client, customer, platform):
    ticket = await schedule(client, customer, MOBILE, "33612345677", "33612345676")
    replies = await asyncio.gather(
        *(client.delete(f"/send/{ticket}", headers=customer.bearer) for _ in range(8))
    )
    statuses = sorted(r.json()["status"] for r in replies)
    assert statuses == [-7] * 7 + [1]
    assert (await client.get("/credits", headers=customer.bearer)).json()["credits"] == "100"


async def test_cancel_of_an_immediate_campaign_is_refused(client, customer):
    reply = await client.get("/send", params={"to": MOBILE, "text": "now"}, headers=customer.bearer)
    ticket = reply.json()["ticket"]
    cancel = await client.delete(f"/send/{ticket}", headers=customer.bearer)
    assert cancel.json()["status"] == -7
    assert (await client.get("/credits", headers=customer.bearer)).json()["credits"] == "99"


async def test_cancel_unknown_or_foreign_campaign_is_status_minus_5(client, customer, platform):
    other = await make_customer(platform, email="other@example.com")
    ticket = await schedule(client, other, MOBILE)
    for path in (f"/send/{ticket}", "/send/999999", "/send/abc"):
        reply = await client.delete(path, headers=customer.bearer)
        assert reply.json()["status"] == -5, path
    assert (await client.get("/credits", headers=other.bearer)).json()["credits"] == "99"


async def test_credits_reports_balance_and_postpaid_fields(client, customer):
    body = (await client.get("/credits", headers=customer.bearer)).json()
    assert body == {
        "status": 1,
        "message": "OK",
        "credits": "100",
        "postpaid": "0",
        "postpaid_limit": False,
        "unlimited": False,
    }


async def test_credits_in_xml(client, customer):
    reply = await client.get("/credits", headers={**customer.bearer, "Accept": "application/xml"})
    root = ElementTree.fromstring(reply.content)
    assert root.find("credits").text == "100"
    assert root.find("status").text == "1"


async def test_campaign_details_show_the_reference_shape(client, customer):
    reply = await client.get(
        "/send", params={"to": MOBILE, "text": "Details", "sender": "SHOP"}, headers=customer.bearer
    )
    ticket = reply.json()["ticket"]
    body = (await client.get(f"/campaign/{ticket}", headers=customer.bearer)).json()
    assert body["status"] == 1
    assert isinstance(body["campaign"], list) and len(body["campaign"]) == 1
    campaign = body["campaign"][0]
    assert campaign["id"] == ticket
    assert campaign["sender"] == "SHOP"
    assert campaign["text"] == "Details"
    assert campaign["cost"] == "1"
    assert campaign["total"] == "1"
    assert campaign["status"] == "Sending"
    assert len(campaign["date"]) == 19 and campaign["date"][4] == "-"
    for key in ("delivery_rate", "delivered", "error", "expired", "network_error", "stop", "npai"):
        assert campaign[key] == "0"


async def test_campaign_of_another_account_is_not_found(client, customer, platform):
    other = await make_customer(platform, email="other@example.com")
    reply = await client.get("/send", params={"to": MOBILE, "text": "x"}, headers=other.bearer)
    ticket = reply.json()["ticket"]
    mine = await client.get(f"/campaign/{ticket}", headers=customer.bearer)
    assert mine.json()["status"] == -5
    listing = await client.get("/campaigns", headers=customer.bearer)
    assert listing.json()["campaigns"] == []


async def test_campaigns_are_paged_and_sorted(client, customer):
    tickets = []
    for i in range(5):
        reply = await client.get(
            "/send", params={"to": MOBILE, "text": f"n{i}"}, headers=customer.bearer
        )
        tickets.append(reply.json()["ticket"])
    page = (
        await client.get("/campaigns", params={"start": 1, "length": 2}, headers=customer.bearer)
    ).json()
    assert [c["id"] for c in page["campaigns"]] == [tickets[3], tickets[2]]
    assert (page["totalRecords"], page["totalDisplayRecords"]) == (5, 5)
    ascending = (
        await client.get("/campaigns", params={"sort": "id"}, headers=customer.bearer)
    ).json()
    assert [c["id"] for c in ascending["campaigns"]] == tickets
    filtered = (
        await client.get("/campaigns", params={"text": "n3"}, headers=customer.bearer)
    ).json()
    assert [c["id"] for c in filtered["campaigns"]] == [tickets[3]]
    assert filtered["totalDisplayRecords"] == 1


async def test_campaigns_bad_paging_is_status_minus_7(client, customer):
    for params in ({"length": 5000}, {"start": -1}, {"sort": "password"}, {"length": "x"}):
        reply = await client.get("/campaigns", params=params, headers=customer.bearer)
        assert reply.json()["status"] == -7, params


async def test_campaign_list_in_xml_repeats_elements(client, customer):
    for text in ("a", "b"):
        await client.get("/send", params={"to": MOBILE, "text": text}, headers=customer.bearer)
    reply = await client.get("/campaigns", headers={**customer.bearer, "Accept": "application/xml"})
    root = ElementTree.fromstring(reply.content)
    assert [c.find("text").text for c in root.findall("campaigns")] == ["b", "a"]
    assert root.find("totalRecords").text == "2"


# --- quirks of real clients (api_reference §1.13) --------------------------------------


async def test_empty_json_array_body_on_get_and_delete_is_ignored(client, customer):
    reply = await client.request(
        "GET",
        "/credits",
        content="[]",
        headers={**customer.bearer, "Content-Type": "application/json"},
    )
    assert reply.json()["status"] == 1
    ticket = await schedule(client, customer, MOBILE)
    cancel = await client.request(
        "DELETE",
        f"/send/{ticket}",
        content="[]",
        headers={**customer.bearer, "Content-Type": "application/json"},
    )
    assert cancel.json()["status"] == 1


async def test_stray_null_query_and_double_slash_and_x_application(client, customer):
    reply = await client.get(
        "http://relais.test//credits?null", headers={**customer.bearer, "X-application": "15"}
    )
    assert reply.json()["status"] == 1
    send = await client.get(
        "http://relais.test//send", params={"to": MOBILE, "text": "Hi"}, headers=customer.bearer
    )
    assert send.json()["status"] == 1


async def test_unknown_route_is_not_found_in_the_envelope(client, customer):
    reply = await client.get("/nothing-here", headers=customer.bearer)
    assert reply.status_code == 404
    assert reply.json()["status"] == -5
