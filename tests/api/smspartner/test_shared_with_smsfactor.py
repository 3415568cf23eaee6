"""One account, two dialects: a message sent through SMSPartner is billed from the same
balance and listed by SMSFactor's GET /messages; a number put on the STOP list through
SMSPartner is refused by SMSFactor's send, and the other way round."""

from __future__ import annotations

from tests.api.smspartner.partner import MOBILE, MSISDN, TUESDAY, at
from tests.services.test_opt_outs import receipts, submit

from relais.core.status import MessageStatus
from relais.services.delivery_reports import record_inbound


async def test_a_smspartner_send_appears_in_smsfactor_messages(client, customer, platform):
    at(platform, TUESDAY)
    body = {
        "apiKey": customer.token,
        "phoneNumbers": MOBILE,
        "message": "Bonjour",
        "sender": "SHOP",
    }
    message_id = (await client.post("/v1/send", json=body)).json()["message_id"]
    params = {"date_start": "2026-07-07 00:00:00", "date_end": "2026-07-07 23:59:59"}
    log = (await client.get("/messages", params=params, headers=customer.bearer)).json()
    [row] = log["messages"]
    assert (row["campaign_id"], row["destination"], row["message"], row["sender"]) == (
        message_id,
        MSISDN,
        "Bonjour",
        "SHOP",
    )
    credits = (await client.get("/credits", headers=customer.bearer)).json()
    assert credits["credits"] == "99"
    campaign = (await client.get(f"/campaign/{message_id}", headers=customer.bearer)).json()
    assert campaign["status"] == 1 and campaign["campaign"][0]["total"] == "1"


async def test_a_stop_added_through_smspartner_is_refused_by_smsfactor(client, customer, platform):
    at(platform, TUESDAY)
    stop = {"apiKey": customer.token, "phoneNumber": "0612345678"}
    assert (await client.post("/v1/stop-sms/add", json=stop)).json()["success"] is True
    answer = (
        await client.get("/send", params={"to": MSISDN, "text": "Hi"}, headers=customer.bearer)
    ).json()
    assert (answer["sent"], answer["blacklisted"]) == (0, 1)


async def test_a_stop_added_through_smsfactor_is_refused_by_smspartner(client, customer, platform):
    at(platform, TUESDAY)
    blacklist = {"blacklist": {"contacts": {"gsm": [{"value": MSISDN}]}}}
    await client.post("/blacklist", json=blacklist, headers=customer.bearer)
    body = {"apiKey": customer.token, "phoneNumbers": MOBILE, "message": "Hi"}
    assert (await client.post("/v1/send", json=body)).json()["code"] == 14


async def test_a_receipt_and_a_stop_reply_are_seen_through_both_dialects(
    client, customer, platform
):
    """The carrier's receipt of a SMSPartner send, recorded by the shared delivery path, is
    `Delivered` in /v1/message-status and DELIVERED in SMSFactor's GET /messages; the STOP
    the handset then sends puts the number on the list both dialects read."""
    at(platform, TUESDAY)
    body = {"apiKey": customer.token, "phoneNumbers": MOBILE, "message": "Bonjour"}
    message_id = (await client.post("/v1/send", json=body)).json()["message_id"]
    ids = await submit(platform)
    await receipts(platform, ids, {MSISDN: MessageStatus.DELIVERED})
    params = {"apiKey": customer.token, "messageId": message_id, "phoneNumber": MOBILE}
    status = (await client.get("/v1/message-status", params=params)).json()
    assert (status["statut"], status["stopSms"]) == ("Delivered", False)
    period = {"date_start": "2026-07-07 00:00:00", "date_end": "2026-07-07 23:59:59"}
    [row] = (await client.get("/messages", params=period, headers=customer.bearer)).json()[
        "messages"
    ]
    assert (row["campaign_id"], row["status"]) == (message_id, "DELIVERED")
    await record_inbound(platform, messages=[("simulator", MSISDN, "36000", "STOP", 1_000)])
    status = (await client.get("/v1/message-status", params=params)).json()
    assert status["stopSms"] is True
    stops = (await client.get("/v1/stop-sms/list", params={"apiKey": customer.token})).json()
    assert [entry["phoneNumber"] for entry in stops["data"]] == [MOBILE]
    assert (await client.post("/v1/send", json=body)).json()["code"] == 14
