"""Hostile input on /v1: a body over the cap is refused with 413 before it is read whole,
control characters and too deep JSON are errors in SMSPartner's shape; nothing is stored."""

from __future__ import annotations

from dataclasses import replace

from tests.api.smspartner.partner import MOBILE, TUESDAY, at, stored, xml_reply


async def test_a_body_over_the_cap_is_413_and_stores_nothing(client, customer, platform):
    at(platform, TUESDAY)
    before = await stored(platform)
    platform.settings = replace(platform.settings, max_body_bytes=2_000)
    numbers = ",".join(f"+336{10000000 + n}" for n in range(200))
    reply = await client.post(
        "/v1/send", json={"apiKey": customer.token, "phoneNumbers": numbers, "message": "Hi"}
    )
    assert reply.status_code == 413
    assert reply.json()["success"] is False
    assert await stored(platform) == before


async def test_a_control_character_is_refused_and_stores_nothing(client, customer, platform):
    at(platform, TUESDAY)
    before = await stored(platform)
    reply = await client.post(
        "/v1/send",
        json={"apiKey": customer.token, "phoneNumbers": MOBILE, "message": "Bonjour\u0000"},
    )
    assert reply.status_code == 200
    assert reply.json()["success"] is False
    assert "control character" in reply.text
    assert await stored(platform) == before


async def test_json_nested_thousands_deep_is_malformed_json(client, customer, platform):
    before = await stored(platform)
    deep = b'{"a": ' * 5000 + b"1" + b"}" * 5000
    reply = await client.post(
        "/v1/send", content=deep, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 400
    assert reply.json()["code"] == 90
    assert await stored(platform) == before


async def test_an_xml_reply_repeating_a_control_character_is_still_xml(client):
    reply = await client.get("/v1/%1Fme", params={"_format": "xml"})
    assert reply.status_code == 404
    answer = xml_reply(reply.content)
    assert answer["success"] == "false"
    assert "\\x1f" in answer["message"]
