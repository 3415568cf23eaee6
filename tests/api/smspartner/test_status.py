"""GET /v1/message-status, POST /v1/multi-status, GET /v1/bulk-status and
GET /v1/bulk-status-by-tag: key spellings of §2.3, statuses, STOP flags and errors."""

from __future__ import annotations

from sqlalchemy import update
from tests.api.smspartner.partner import MOBILE, TUESDAY, at, xml_reply
from tests.support import make_customer

from relais.services import opt_outs
from relais.services.opt_outs import OptOutContact
from relais.store.tables import messages


async def sent(client, customer, numbers=MOBILE, **fields) -> int:
    body = {"apiKey": customer.token, "phoneNumbers": numbers, "message": "Hi", **fields}
    answer = (await client.post("/v1/send", json=body)).json()
    assert answer["success"] is True
    return answer["message_id"]


async def deliver(platform, destination: str) -> None:
    done = int(TUESDAY.timestamp() * 1000) + 5000
    await platform.db.write(
        lambda conn: conn.execute(
            update(messages)
            .where(messages.c.destination == destination)
            .values(status="delivered", done_at=done)
        )
    )


async def test_message_status_answers_statut_and_stop_sms(client, customer, platform):
    at(platform, TUESDAY)
    message_id = await sent(client, customer)
    params = {"apiKey": customer.token, "messageId": message_id, "phoneNumber": "0612345678"}
    waiting = (await client.get("/v1/message-status", params=params)).json()
    assert waiting == {
        "success": True,
        "code": 200,
        "number": "0612345678",
        "messageId": str(message_id),
        "stopSms": False,
        "date": "2026-07-07 10:00:00",
        "statut": "Waiting",
        "cost": 0.045,
        "countryCode": "FR",
        "currency": "EUR",
    }
    await deliver(platform, "33612345678")
    await opt_outs.add_opt_outs(
        platform, account=customer.account, kind="blacklist", contacts=[OptOutContact(MOBILE)]
    )
    done = (await client.get("/v1/message-status", params=params)).json()
    assert (done["statut"], done["stopSms"], done["date"]) == (
        "Delivered",
        True,
        "2026-07-07 10:00:05",
    )
    xml = xml_reply(
        (await client.get("/v1/message-status", params={**params, "_format": "xml"})).content
    )
    assert (xml["statut"], xml["stopSms"]) == ("Delivered", "true")


async def test_message_status_errors(client, customer, platform):
    at(platform, TUESDAY)
    message_id = await sent(client, customer)
    key = customer.token
    cases = [
        ({"messageId": message_id, "phoneNumber": MOBILE}, 1),
        ({"apiKey": key, "messageId": message_id}, 2),
        ({"apiKey": key, "phoneNumber": MOBILE}, 3),
        ({"apiKey": key, "messageId": message_id, "phoneNumber": "+33612345670"}, 4),
        ({"apiKey": key, "messageId": "abc", "phoneNumber": MOBILE}, 4),
        ({"apiKey": key, "messageId": message_id, "phoneNumber": "12"}, 9),
        ({"apiKey": "wrong", "messageId": message_id, "phoneNumber": MOBILE}, 10),
    ]
    for params, code in cases:
        answer = (await client.get("/v1/message-status", params=params)).json()
        assert (answer["success"], answer["code"]) == (False, code), params


async def test_another_accounts_message_is_not_found(client, customer, platform):
    at(platform, TUESDAY)
    message_id = await sent(client, customer)
    other = await make_customer(platform, email="other@example.com")
    params = {"apiKey": other.token, "messageId": message_id, "phoneNumber": MOBILE}
    assert (await client.get("/v1/message-status", params=params)).json()["code"] == 4
    bulk = {"apiKey": other.token, "messageId": message_id}
    assert (await client.get("/v1/bulk-status", params=bulk)).json()["code"] == 4


async def test_multi_status_answers_each_pair(client, customer, platform):
    at(platform, TUESDAY)
    message_id = await sent(client, customer, numbers="+33699999993,+33699999994")
    await deliver(platform, "33699999993")
    body = {
        "apiKey": customer.token,
        "SMSStatut_List": [
            {"phoneNumber": "+33699999993", "messageId": message_id},
            {"phoneNumber": "+33699999992", "messageId": 1000},
        ],
    }
    answer = (await client.post("/v1/multi-status", json=body)).json()
    assert answer == {
        "success": True,
        "code": 200,
        "StatutResponse_List": [
            {
                "success": True,
                "code": 200,
                "phoneNumber": "+33699999993",
                "messageId": message_id,
                "status": "Delivered",
                "date": str(int(TUESDAY.timestamp()) + 5),
                "stopSms": "0",
                "isSpam": "0",
            },
            {
                "success": False,
                "code": 4,
                "phoneNumber": "+33699999992",
                "messageId": 1000,
                "status": "Numéro introuvable",
            },
        ],
    }


async def test_multi_status_in_xml(client, customer, platform):
    at(platform, TUESDAY)
    message_id = await sent(client, customer)
    body = {
        "apiKey": customer.token,
        "_format": "xml",
        "SMSStatut_List": [{"phoneNumber": MOBILE, "messageId": message_id}],
    }
    reply = await client.post("/v1/multi-status", json=body)
    [entry] = xml_reply(reply.content)["StatutResponse_List"]
    assert (entry["status"], entry["stopSms"], entry["messageId"]) == (
        "Waiting",
        "0",
        str(message_id),
    )


async def test_multi_status_errors(client, customer):
    empty = (await client.post("/v1/multi-status", json={"apiKey": customer.token})).json()
    assert (empty["success"], empty["code"]) == (False, 5)
    many = [{"phoneNumber": MOBILE, "messageId": 1}] * 501
    body = {"apiKey": customer.token, "SMSStatut_List": many}
    assert (await client.post("/v1/multi-status", json=body)).json()["code"] == 50
    bad = {"apiKey": customer.token, "SMSStatut_List": ["x"]}
    assert (await client.post("/v1/multi-status", json=bad)).json()["code"] == 6


async def test_bulk_status_lists_every_recipient(client, customer, platform):
    at(platform, TUESDAY)
    message_id = await sent(client, customer, numbers="+33612345671,+33612345672")
    await deliver(platform, "33612345671")
    params = {"apiKey": customer.token, "messageId": message_id}
    answer = (await client.get("/v1/bulk-status", params=params)).json()
    second = str(int(TUESDAY.timestamp()))
    assert answer == {
        "success": True,
        "code": 200,
        "message_id": str(message_id),
        "StatutResponse_List": [
            {
                "phoneNumber": "+33612345671",
                "status": "Delivered",
                "stopSMS": False,
                "date": str(int(second) + 5),
            },
            {"phoneNumber": "+33612345672", "status": "Waiting", "stopSMS": False, "date": second},
        ],
    }
    missing = (await client.get("/v1/bulk-status", params={"apiKey": customer.token})).json()
    assert missing["code"] == 3


async def test_bulk_status_by_tag_pages_the_tagged_sends(client, customer, platform):
    at(platform, TUESDAY)
    first = await sent(client, customer, numbers="+33612345671", tag="promo")
    second = await sent(client, customer, numbers="+33612345672", tag="promo")
    await sent(client, customer, numbers="+33612345673", tag="other")
    params = {"apiKey": customer.token, "tag": "promo"}
    answer = (await client.get("/v1/bulk-status-by-tag", params=params)).json()
    assert (answer["currentPage"], answer["total"]) == (1, 2)
    assert [(r["messageId"], r["phoneNumber"]) for r in answer["StatutResponse_List"]] == [
        (first, "+33612345671"),
        (second, "+33612345672"),
    ]
    page_two = (await client.get("/v1/bulk-status-by-tag", params={**params, "page": 2})).json()
    assert (page_two["currentPage"], page_two["StatutResponse_List"]) == (2, [])
    no_tag = (await client.get("/v1/bulk-status-by-tag", params={"apiKey": customer.token})).json()
    assert no_tag["code"] == 9
    bad_page = (await client.get("/v1/bulk-status-by-tag", params={**params, "page": "x"})).json()
    assert bad_page["code"] == 6
