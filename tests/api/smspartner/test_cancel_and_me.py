"""GET /v1/message-cancel (codes 3-7, refund once) and GET /v1/me."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from tests.api.smspartner.partner import MOBILE, TUESDAY, at, xml_reply
from tests.support import fetch_value

from relais.core.schedule import PARIS
from relais.store.tables import accounts


async def scheduled(client, customer, minute: int = 0) -> int:
    body = {
        "apiKey": customer.token,
        "phoneNumbers": MOBILE,
        "message": "Later",
        "scheduledDeliveryDate": "07/07/2026",
        "time": 12,
        "minute": minute,
    }
    return (await client.post("/v1/send", json=body)).json()["message_id"]


async def balance(platform, customer) -> int:
    return await fetch_value(
        platform, select(accounts.c.balance).where(accounts.c.id == customer.account.id)
    )


async def test_cancel_refunds_once_then_answers_already_cancelled(client, customer, platform):
    at(platform, TUESDAY)
    message_id = await scheduled(client, customer)
    assert await balance(platform, customer) == 99
    params = {"apiKey": customer.token, "messageId": message_id}
    answer = (await client.get("/v1/message-cancel", params=params)).json()
    assert answer == {"success": True, "code": 200, "message": "L'envoi du SMS a été annulé."}
    assert await balance(platform, customer) == 100
    again = (await client.get("/v1/message-cancel", params=params)).json()
    assert (again["success"], again["code"]) == (False, 5)
    assert await balance(platform, customer) == 100


async def test_cancel_errors(client, customer, platform):
    at(platform, TUESDAY)
    soon = await scheduled(client, customer)
    at(platform, datetime(2026, 7, 7, 11, 56, tzinfo=PARIS))
    key = customer.token
    too_late = await client.get("/v1/message-cancel", params={"apiKey": key, "messageId": soon})
    assert too_late.json()["code"] == 6
    body = {"apiKey": key, "phoneNumbers": MOBILE, "message": "Now"}
    now = (await client.post("/v1/send", json=body)).json()["message_id"]
    sent = await client.get("/v1/message-cancel", params={"apiKey": key, "messageId": now})
    assert sent.json()["code"] == 7
    assert (await client.get("/v1/message-cancel", params={"apiKey": key})).json()["code"] == 3
    unknown = await client.get("/v1/message-cancel", params={"apiKey": key, "messageId": 999})
    assert unknown.json()["code"] == 4
    no_key = await client.get("/v1/message-cancel", params={"messageId": now, "_format": "xml"})
    assert xml_reply(no_key.content)["code"] == "1"


async def test_me_answers_user_and_credits(client, customer, platform):
    answer = (await client.get("/v1/me", params={"apiKey": customer.token})).json()
    assert answer == {
        "success": True,
        "code": 200,
        "user": {"username": "shop@example.com", "firstname": "", "lastname": ""},
        "credits": {
            "creditSms": 100,
            "creditSmsECO": 100,
            "creditHlr": 0,
            "toSend": 0,
            "balance": "4.500",
            "currency": "EUR",
        },
    }
    xml = xml_reply(
        (await client.get("/v1/me", params={"apiKey": customer.token, "_format": "xml"})).content
    )
    assert xml["credits"]["creditSms"] == "100"
    wrong = (await client.get("/v1/me", params={"apiKey": "nope"})).json()
    assert wrong == {"success": False, "code": 10, "message": "Clé API incorrecte"}
