"""Every SMSFactor endpoint answers in XML when asked, errors included."""

from __future__ import annotations

from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest

MOBILE = "33612345678"
XML = {"Accept": "application/xml"}


def parse(reply) -> ElementTree.Element:
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/xml; charset=utf-8"
    assert reply.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ElementTree.fromstring(reply.content)
    assert root.tag == "response"
    return root


async def scheduled_ticket(client, customer) -> str:
    reply = await client.get(
        "/send",
        params={"to": MOBILE, "text": "Later", "delay": "2099-01-01 10:00:00"},
        headers={**customer.bearer, **XML},
    )
    return parse(reply).find("ticket").text


async def test_xml_single_send_and_simulate(client, customer):
    sent = parse(
        await client.get(
            "/send", params={"to": MOBILE, "text": "Hi"}, headers={**customer.bearer, **XML}
        )
    )
    assert [c.tag for c in sent] == [
        "status",
        "message",
        "ticket",
        "cost",
        "credits",
        "total",
        "sent",
        "blacklisted",
        "duplicated",
        "npai",
        "invalid",
        "not_allowed",
        "flood",
        "country_limit",
    ]
    simulated = parse(
        await client.get(
            "/send/simulate",
            params={"to": MOBILE, "text": "Hi"},
            headers={**customer.bearer, **XML},
        )
    )
    assert simulated.find("ticket") is None
    assert simulated.find("cost").text == "1"


async def test_xml_campaign_simulate_post(client, customer):
    body = (
        f"<sms><message><text>Hi</text></message><recipients><gsm>{MOBILE}</gsm></recipients></sms>"
    )
    root = parse(
        await client.post(
            "/send/simulate",
            content=body,
            headers={**customer.bearer, **XML, "Content-Type": "application/xml"},
        )
    )
    assert root.find("sent").text == "1"


async def test_xml_cancel_and_campaign_details(client, customer):
    ticket = await scheduled_ticket(client, customer)
    details = parse(await client.get(f"/campaign/{ticket}", headers={**customer.bearer, **XML}))
    campaign = details.find("campaign")
    assert campaign.find("id").text == ticket
    assert campaign.find("status").text == "Scheduled"
    cancelled = parse(await client.delete(f"/send/{ticket}", headers={**customer.bearer, **XML}))
    assert cancelled.find("credits").text == "100"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/credits", "-1"),
        ("GET", "/campaigns", "-1"),
        ("GET", "/campaign/1", "-1"),
        ("DELETE", "/send/1", "-1"),
        ("GET", "/send?to=33612345678&text=x", "-1"),
    ],
)
async def test_xml_errors_keep_the_envelope(client, method, path, status):
    root = parse(await client.request(method, path, headers={"Authorization": "Bearer bad", **XML}))
    assert root.find("status").text == status
    assert root.find("message").text == "Le login et le mot de passe ne correspondent pas"
    assert root.find("details").text == "Token invalide"


async def test_xml_data_error_has_details(client, customer):
    root = parse(
        await client.get("/send", params={"to": MOBILE}, headers={**customer.bearer, **XML})
    )
    assert root.find("status").text == "-7"
    assert root.find("details").text


async def test_legacy_root_xml_form_send_with_authentification(client, customer):
    xml = (
        f"<sms><authentification><username>{customer.email}</username><password>{customer.password}</password>"
        "</authentification><message><sender>SHOP</sender><text>Legacy</text></message>"
        f"<recipients><gsm>{MOBILE}</gsm></recipients></sms>"
    )
    reply = await client.post(
        "/",
        content=urlencode({"XML": xml}),
        headers={"Content-Type": "application/x-www-form-urlencoded", **XML},
    )
    root = parse(reply)
    assert root.find("status").text == "1"
    assert root.find("sent").text == "1"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/send?%00=1"),  # a query field whose name holds NUL: -7 naming it
        ("GET", "/send/%1F"),  # an id holding a control character: the 405 repeats the path
        ("GET", "/no/such/%08route"),  # the 404 repeats it too
    ],
)
async def test_a_reply_repeating_a_control_character_is_still_xml(client, customer, method, path):
    reply = await client.request(method, path, headers={**customer.bearer, **XML})
    root = ElementTree.fromstring(reply.content)
    assert int(root.find("status").text) < 0
    assert "\\x" in root.find("details").text
