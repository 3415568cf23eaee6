"""POST /v1/bulk-send: a message per SMSList entry, each its own result, nothing stored for
entries that fail, and the request's own errors."""

from __future__ import annotations

from sqlalchemy import select
from tests.api.smspartner.partner import TUESDAY, at, stored, xml_reply
from tests.support import fetch_all

from relais.services import opt_outs
from relais.services.opt_outs import OptOutContact
from relais.store.tables import campaigns, messages


def bulk(customer, *entries, **fields) -> dict:
    return {"apiKey": customer.token, "sender": "mycompany", "SMSList": list(entries), **fields}


async def test_bulk_send_answers_each_entry_and_stores_one_message_each(client, customer, platform):
    at(platform, TUESDAY)
    reply = await client.post(
        "/v1/bulk-send",
        json=bulk(
            customer,
            {"phoneNumber": "0612345671", "message": "msg 0"},
            {"phoneNumber": "0612345672", "message": "msg 1"},
        ),
    )
    answer = reply.json()
    first, second = answer["SMSResponse_List"]
    assert answer == {
        "success": True,
        "code": 200,
        "message_id": first["messageId"],
        "currency": "EUR",
        "cost": 0.09,
        "nbSMS": 2,
        "SMSResponse_List": [
            {
                "success": True,
                "code": 200,
                "nbSms": 1,
                "cost": 0.045,
                "phoneNumber": "+33612345671",
                "messageId": first["messageId"],
            },
            {
                "success": True,
                "code": 200,
                "nbSms": 1,
                "cost": 0.045,
                "phoneNumber": "+33612345672",
                "messageId": second["messageId"],
            },
        ],
    }
    rows = await fetch_all(
        platform,
        select(messages.c.destination, campaigns.c.text, campaigns.c.sender)
        .join(campaigns, campaigns.c.id == messages.c.campaign_id)
        .order_by(messages.c.id),
    )
    assert rows == [("33612345671", "msg 0", "mycompany"), ("33612345672", "msg 1", "mycompany")]


async def test_bulk_send_entries_fail_on_their_own(client, customer, platform):
    at(platform, TUESDAY)
    await opt_outs.add_opt_outs(
        platform,
        account=customer.account,
        kind="blacklist",
        contacts=[OptOutContact("0612345673")],
    )
    reply = await client.post(
        "/v1/bulk-send",
        json=bulk(
            customer,
            {"phoneNumber": "12", "message": "a"},
            {"message": "a"},
            {"phoneNumber": "0612345671"},
            {"phoneNumber": "0612345673", "message": "a"},
            {"phoneNumber": "0612345674", "message": "a" * 1600},
            {"phoneNumber": "0612345672", "message": "ok"},
        ),
    )
    answer = reply.json()
    assert [(r["success"], r["code"]) for r in answer["SMSResponse_List"]] == [
        (False, 9),
        (False, 2),
        (False, 43),
        (False, 14),
        (False, 52),
        (True, 200),
    ]
    assert answer["nbSMS"] == 1
    assert (await stored(platform))[1] == 1


async def test_bulk_send_request_errors(client, customer, platform):
    at(platform, TUESDAY)
    before = await stored(platform)
    empty = (await client.post("/v1/bulk-send", json=bulk(customer))).json()
    assert (empty["success"], empty["code"]) == (False, 55)
    many = [{"phoneNumber": "0612345671", "message": "a"}] * 501
    assert (await client.post("/v1/bulk-send", json=bulk(customer, *many))).json()["code"] == 50
    entry = {"phoneNumber": "0612345671", "message": "a"}
    long_sender = bulk(customer, entry, sender="averylongsender")
    assert (await client.post("/v1/bulk-send", json=long_sender)).json()["code"] == 9
    no_key = (await client.post("/v1/bulk-send", json={"SMSList": [entry]})).json()
    assert no_key["code"] == 1
    assert await stored(platform) == before


async def test_bulk_send_sandbox_and_xml(client, customer, platform):
    at(platform, TUESDAY)
    before = await stored(platform)
    entry = {"phoneNumber": "0612345671", "message": "a"}
    reply = await client.post("/v1/bulk-send", json=bulk(customer, entry, sandbox=1, _format="xml"))
    answer = xml_reply(reply.content)
    assert (answer["success"], answer["nbSMS"], answer["cost"]) == ("true", "1", "0.045")
    assert answer["SMSResponse_List"][0]["phoneNumber"] == "+33612345671"
    assert await stored(platform) == before
