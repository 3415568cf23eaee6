"""Seed 003's and §2's own example requests, sent as their clients send them, succeed with
only the host, the key and the placeholder number changed; replies carry the keys and JSON
types the SMSPartner Go SDK's structs and fixtures read."""

from __future__ import annotations

import json
from datetime import datetime

from tests.api.smspartner.partner import TUESDAY, at

from relais.core.schedule import PARIS

# Types the Go SDK (smspartnerfr/SMS-API-GO v1) decodes each key into.
SEND_KEYS = {
    "success": bool,
    "code": int,
    "message_id": int,
    "nb_sms": int,
    "cost": float,
    "currency": str,
}


def typed(answer: dict, keys: dict) -> None:
    for key, kind in keys.items():
        assert isinstance(answer[key], kind), (key, answer[key])


async def test_seed_003_php_example_posts_json_encode_with_curl(client, customer, platform):
    """curl_setopt(CURLOPT_POSTFIELDS, json_encode($fields)): a JSON string under curl's
    default form Content-Type, `time` and `minute` as PHP integers, a 2014 date (the clock
    is set to the day before it)."""
    at(platform, datetime(2014, 10, 20, 12, 0, tzinfo=PARIS))
    fields = {
        "apiKey": customer.token,
        "phoneNumbers": "+33612345678",
        "message": "This is your message",
        "sender": "mycompany",
        "scheduledDeliveryDate": "21/10/2014",
        "time": 9,
        "minute": 0,
    }
    reply = await client.post(
        "/v1/send",
        content=json.dumps(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    answer = reply.json()
    assert reply.status_code == 200
    assert set(answer) == {*SEND_KEYS, "scheduledDeliveryDate"}
    typed(answer, SEND_KEYS)
    assert (answer["success"], answer["code"], answer["nb_sms"]) == (True, 200, 1)
    assert answer["scheduledDeliveryDate"] == "2014-10-21 09:00:00"


async def test_section_2_1_raw_http_example(client, customer, platform):
    at(platform, TUESDAY)
    raw = '{"apiKey":"%s","phoneNumbers":"+33600000000","message":"Hello world"}'
    reply = await client.post(
        "/v1/send",
        content=(raw % customer.token).encode(),
        headers={"Content-Type": "application/json"},
    )
    answer = reply.json()
    assert set(answer) == set(SEND_KEYS)
    typed(answer, SEND_KEYS)


async def test_bulk_send_example_of_section_2_2(client, customer, platform):
    at(platform, datetime(2014, 10, 20, 12, 0, tzinfo=PARIS))
    body = {
        "apiKey": customer.token,
        "sender": "mycompany",
        "scheduledDeliveryDate": "21/10/2014",
        "time": 9,
        "minute": 0,
        "SMSList": [
            {"phoneNumber": "0612345671", "message": "msg 0"},
            {"phoneNumber": "0612345672", "message": "msg 1"},
        ],
    }
    answer = (await client.post("/v1/bulk-send", json=body)).json()
    typed(answer, {"success": bool, "code": int, "message_id": int, "cost": float, "nbSMS": int})
    for entry in answer["SMSResponse_List"]:
        typed(
            entry, {"success": bool, "code": int, "nbSms": int, "cost": float, "phoneNumber": str}
        )
    assert answer["nbSMS"] == 2


async def test_uptime_kuma_payload(client, customer, platform):
    """Uptime Kuma's SMSPartner provider posts JSON with `gamme: 1` and a sender."""
    at(platform, TUESDAY)
    body = {
        "apiKey": customer.token,
        "phoneNumbers": "+33612345678",
        "message": "[Uptime Kuma] Site is down",
        "gamme": 1,
        "sender": "UptimeKuma",
    }
    reply = await client.post("/v1/send", json=body)
    assert reply.json()["success"] is True


async def test_status_replies_decode_into_the_go_sdk_structs(client, customer, platform):
    at(platform, TUESDAY)
    body = {"apiKey": customer.token, "phoneNumbers": "+33612345678", "message": "Hi"}
    message_id = (await client.post("/v1/send", json=body)).json()["message_id"]
    params = {"apiKey": customer.token, "messageId": message_id, "phoneNumber": "+33612345678"}
    status = (await client.get("/v1/message-status", params=params)).json()
    typed(
        status,
        {
            "number": str,
            "messageId": str,
            "stopSms": bool,
            "date": str,
            "statut": str,
            "cost": float,
            "countryCode": str,
            "currency": str,
        },
    )
    bulk = (
        await client.get(
            "/v1/bulk-status", params={"apiKey": customer.token, "messageId": message_id}
        )
    ).json()
    typed(bulk, {"message_id": str, "StatutResponse_List": list})
    typed(
        bulk["StatutResponse_List"][0],
        {"phoneNumber": str, "status": str, "stopSMS": bool, "date": str},
    )
    multi = {
        "apiKey": customer.token,
        "SMSStatut_List": [{"phoneNumber": "+33612345678", "messageId": message_id}],
    }
    [entry] = (await client.post("/v1/multi-status", json=multi)).json()["StatutResponse_List"]
    typed(
        entry,
        {
            "success": bool,
            "code": int,
            "phoneNumber": str,
            "messageId": int,
            "status": str,
            "date": str,
            "stopSms": str,
            "isSpam": str,
        },
    )
