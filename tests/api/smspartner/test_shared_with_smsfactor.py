"""One account, two dialects: a message sent through SMSPartner is billed from the same
balance and listed by SMSFactor's GET /messages; a number put on the STOP list through
SMSPartner is refused by SMSFactor's send, and the other way round."""

from __future__ import annotations

from tests.api.smspartner.partner import MOBILE, MSISDN, TUESDAY, at


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
