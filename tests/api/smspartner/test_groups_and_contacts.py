"""/v1/group/* and /v1/contact/* over the contact lists SMSFactor's /list shows: a group made
through SMSPartner is an SMSFactor list, its contacts' fields are the lists' info1..4."""

from __future__ import annotations

from tests.api.smspartner.partner import MOBILE, TUESDAY, at, xml_reply
from tests.support import make_customer


async def new_group(client, customer, name="Clients") -> str:
    answer = (
        await client.post("/v1/group/add", json={"apiKey": customer.token, "name": name})
    ).json()
    assert answer == {"success": True, "code": 2, "name": name, "groupId": answer["groupId"]}
    return answer["groupId"]


async def add_contact(client, customer, group_id, **contact) -> dict:
    body = {"apiKey": customer.token, "groupId": group_id, "contact": contact}
    return (await client.post("/v1/contact/add", json=body)).json()


async def test_groups_are_smsfactor_lists(client, customer, platform):
    at(platform, TUESDAY)
    group_id = await new_group(client, customer)
    listed = (await client.get("/v1/group/list", params={"apiKey": customer.token})).json()
    assert listed == {
        "success": True,
        "code": 200,
        "groups": [
            {
                "id": group_id,
                "name": "Clients",
                "createdAt": "2026-07-07T10:00:00+02:00",
                "isSpecialFile": False,
                "isLocationFile": False,
            }
        ],
    }
    await add_contact(client, customer, group_id, phoneNumber="0612345678", firstname="Ana")
    smsfactor = (await client.get(f"/list/{group_id}", headers=customer.bearer)).json()
    assert smsfactor["list"][0]["destination"] == "33612345678"
    assert smsfactor["list"][0]["info1"] == "Ana"
    body = {"apiKey": customer.token, "groupId": group_id}
    deleted = (await client.request("DELETE", "/v1/group/delete", json=body)).json()
    assert deleted == {"success": True, "code": 200}
    gone = (await client.request("DELETE", "/v1/group/delete", json=body)).json()
    assert (gone["success"], gone["code"]) == (False, 404)


async def test_contact_add_detail_list_update_delete(client, customer, platform):
    at(platform, TUESDAY)
    group_id = await new_group(client, customer)
    added = await add_contact(
        client,
        customer,
        group_id,
        phoneNumber=MOBILE,
        firstname="Ana",
        lastname="Lima",
        custom1="x",
    )
    contact_id = added["contact"]["contactId"]
    assert added == {
        "success": True,
        "code": 200,
        "contact": {
            "phoneNumber": MOBILE,
            "firstname": "Ana",
            "lastname": "Lima",
            "custom1": "x",
            "custom2": None,
            "contactId": contact_id,
        },
    }
    again = await add_contact(client, customer, group_id, phoneNumber="0612345678")
    assert (again["success"], again["code"]) == (False, 15)
    await client.post("/v1/stop-sms/add", json={"apiKey": customer.token, "phoneNumber": MOBILE})
    key = customer.token
    detail = (
        await client.get("/v1/contact/detail", params={"apiKey": key, "contactId": contact_id})
    ).json()
    assert detail["contact"] == {
        "contactId": contact_id,
        "phone": MOBILE,
        "firstname": "Ana",
        "lastname": "Lima",
        "url": "",
        "shortUrl": "",
        "date": "",
        "custom1": "x",
        "custom2": "",
        "custom3": "",
        "custom4": "",
        "stopSms": True,
        "groupId": int(group_id),
    }
    page = (
        await client.get("/v1/contact/list", params={"apiKey": key, "groupId": group_id})
    ).json()
    assert (page["currentPage"], page["total"]) == (1, "1")
    assert page["datas"][0]["contactId"] == contact_id
    xml = xml_reply(
        (
            await client.get(
                "/v1/contact/list", params={"apiKey": key, "groupId": group_id, "_format": "xml"}
            )
        ).content
    )
    assert xml["datas"][0]["firstname"] == "Ana"
    update = {
        "apiKey": key,
        "contactId": contact_id,
        "firstname": "Bea",
        "phoneNumber": "0612345679",
    }
    updated = (await client.post("/v1/contact/update", json=update)).json()
    assert (updated["contact"]["firstname"], updated["contact"]["lastname"]) == ("Bea", "Lima")
    assert updated["contact"]["phone"] == "+33612345679"
    delete = {"apiKey": key, "contactId": contact_id}
    assert (await client.post("/v1/contact/delete", json=delete)).json()["success"] is True
    missing = (await client.post("/v1/contact/delete", json=delete)).json()
    assert (missing["success"], missing["code"]) == (False, 4)


async def test_group_and_contact_errors(client, customer, platform):
    at(platform, TUESDAY)
    key = customer.token
    group_id = await new_group(client, customer)
    other = await make_customer(platform, email="other@example.com")
    foreign = await new_group(client, other)
    assert (await client.post("/v1/group/add", json={"apiKey": key})).json()["code"] == 9
    cases = [
        (add_contact(client, customer, group_id), 2),
        (add_contact(client, customer, group_id, phoneNumber="12"), 9),
        (add_contact(client, customer, foreign, phoneNumber=MOBILE), 404),
        (add_contact(client, customer, "x", phoneNumber=MOBILE), 404),
        (add_contact(client, customer, group_id, phoneNumber=MOBILE, firstname="a" * 33), 9),
    ]
    for call, code in cases:
        answer = await call
        assert (answer["success"], answer["code"]) == (False, code)
    detail = await client.get("/v1/contact/detail", params={"apiKey": key, "contactId": 999})
    assert detail.json()["code"] == 4
    no_id = await client.get("/v1/contact/detail", params={"apiKey": key})
    assert no_id.json()["code"] == 9
    listing = await client.get("/v1/contact/list", params={"apiKey": key, "groupId": foreign})
    assert listing.json()["code"] == 404
    nothing = await client.post(
        "/v1/contact/update", json={"apiKey": key, "contactId": 999, "firstname": "A"}
    )
    assert nothing.json()["code"] == 4
    assert (await client.get("/v1/group/list")).json()["code"] == 1


async def test_contact_multiple_add_reports_each_kind_of_line(client, customer, platform):
    at(platform, TUESDAY)
    group_id = await new_group(client, customer)
    await add_contact(client, customer, group_id, phoneNumber="0612345671")
    body = {
        "apiKey": customer.token,
        "groupId": group_id,
        "contactsList": [
            {"phoneNumber": "0612345671"},
            {"phoneNumber": "0612345672", "firstname": "Ana"},
            {"phoneNumber": "+33612345672"},
            {"phoneNumber": "12"},
            {"firstname": "nobody"},
        ],
    }
    answer = (await client.post("/v1/contact/multiple/add", json=body)).json()
    assert answer["groupe"] == {"name": "Clients", "token": group_id}
    assert [(r["code"], r["phoneNumber"]) for r in answer["results"]] == [
        (15, "+33612345672"),
        (9, "12"),
        (2, None),
    ]
    assert answer["rapport"]["nbline"] == 5
    assert answer["rapport"]["nbline_imported"] == 1
    errors = answer["rapport"]["errors"]
    assert (errors["allreadyInGroupe"], errors["invalidePhone"], errors["duplicatePhone"]) == (
        1,
        1,
        1,
    )
    listed = (
        await client.get("/v1/contact/list", params={"apiKey": customer.token, "groupId": group_id})
    ).json()
    assert listed["total"] == "2"
    nothing = {**body, "contactsList": [{"phoneNumber": "12"}]}
    assert (await client.post("/v1/contact/multiple/add", json=nothing)).json()["success"] is True
    empty = {**body, "contactsList": []}
    assert (await client.post("/v1/contact/multiple/add", json=empty)).json()["code"] == 55
    unknown = {**body, "groupId": 999}
    assert (await client.post("/v1/contact/multiple/add", json=unknown)).json()["code"] == 404
