"""Hostile input on /skycore/v2: a body over the cap is refused with 413 before it is read
whole, control characters and too deep JSON are E100; nothing is stored."""

from __future__ import annotations

from sqlalchemy import func, select
from tests.api.skycore.support import PATH, call, key, sms
from tests.support import fetch_value

from relais.store.tables import campaigns


async def campaign_count(platform) -> int:
    return await fetch_value(platform, select(func.count()).select_from(campaigns))


async def test_a_body_over_the_cap_is_413(client, customer, platform):
    reply = await client.post(
        PATH,
        content=b'{"action": "sendsms", "message-text": "' + b"x" * 1_100_000 + b'"}',
        headers=key(customer.token),
    )
    assert reply.status_code == 413
    assert reply.json()["status"] == "Failure"
    assert await campaign_count(platform) == 0


async def test_a_control_character_is_e100(client, customer, platform):
    answer = await call(client, customer.token, sms(**{"message-text": "Hi\u0007"}))
    assert (answer["status"], answer["error-code"]) == ("Failure", "E100")
    assert "control character" in answer["error-info"]
    assert await campaign_count(platform) == 0


async def test_json_nested_thousands_deep_is_e100(client, customer, platform):
    deep = b'{"a": ' * 5000 + b"1" + b"}" * 5000
    reply = await client.post(PATH, content=deep, headers=key(customer.token))
    assert reply.status_code == 200
    assert reply.json()["error-code"] == "E100"
