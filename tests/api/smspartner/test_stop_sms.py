"""GET /v1/stop-sms/list, POST /v1/stop-sms/add, GET /v1/stop-sms/delete over the account's
blacklist, and a send to a listed number refused with code 14."""

from __future__ import annotations

from tests.api.smspartner.partner import MOBILE, TUESDAY, at, stored, xml_reply


async def test_add_list_and_delete_a_stop(client, customer, platform):
    at(platform, TUESDAY)
    key = customer.token
    added = (
        await client.post("/v1/stop-sms/add", json={"apiKey": key, "phoneNumber": "0612345678"})
    ).json()
    assert added == {"success": True, "code": 200, "stopId": added["stopId"]}
    again = await client.post("/v1/stop-sms/add", json={"apiKey": key, "phoneNumber": MOBILE})
    assert again.json()["stopId"] == added["stopId"]
    listed = (await client.get("/v1/stop-sms/list", params={"apiKey": key})).json()
    assert listed == {
        "success": True,
        "code": 200,
        "nbData": 1,
        "data": [
            {"id": added["stopId"], "phoneNumber": MOBILE, "createdAt": "2026-07-07 10:00:00"}
        ],
    }
    xml = xml_reply(
        (await client.get("/v1/stop-sms/list", params={"apiKey": key, "_format": "xml"})).content
    )
    assert xml["data"] == [
        {"id": str(added["stopId"]), "phoneNumber": MOBILE, "createdAt": "2026-07-07 10:00:00"}
    ]
    params = {"apiKey": key, "id": added["stopId"]}
    assert (await client.get("/v1/stop-sms/delete", params=params)).json() == {
        "success": True,
        "code": 200,
    }
    gone = (await client.get("/v1/stop-sms/delete", params=params)).json()
    assert (gone["success"], gone["code"]) == (False, 4)
    assert (await client.get("/v1/stop-sms/list", params={"apiKey": key})).json()["nbData"] == 0


async def test_stop_sms_errors(client, customer):
    key = customer.token
    cases = [
        ("/v1/stop-sms/add", {"phoneNumber": MOBILE}, 1),
        ("/v1/stop-sms/add", {"apiKey": key}, 2),
        ("/v1/stop-sms/add", {"apiKey": key, "phoneNumber": "12"}, 9),
        ("/v1/stop-sms/add", {"apiKey": "nope", "phoneNumber": MOBILE}, 10),
    ]
    for path, body, code in cases:
        answer = (await client.post(path, json=body)).json()
        assert (answer["success"], answer["code"]) == (False, code), body
    assert (await client.get("/v1/stop-sms/delete", params={"apiKey": key})).json()["code"] == 3
    unknown = await client.get("/v1/stop-sms/delete", params={"apiKey": key, "id": "x"})
    assert unknown.json()["code"] == 4
    assert (await client.get("/v1/stop-sms/list")).json()["code"] == 1


async def test_send_to_a_stop_number_is_code_14_and_stores_nothing(client, customer, platform):
    at(platform, TUESDAY)
    key = customer.token
    await client.post("/v1/stop-sms/add", json={"apiKey": key, "phoneNumber": MOBILE})
    before = await stored(platform)
    body = {"apiKey": key, "phoneNumbers": MOBILE, "message": "Hi"}
    answer = (await client.post("/v1/send", json=body)).json()
    assert answer == {
        "success": False,
        "code": 14,
        "message": "Le numéro est dans la liste des STOP SMS",
    }
    assert await stored(platform) == before
    mixed = {**body, "phoneNumbers": f"{MOBILE},+33612345679"}
    assert (await client.post("/v1/send", json=mixed)).json()["nb_sms"] == 1
