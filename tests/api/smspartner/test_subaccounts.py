"""/v1/subaccount/*: create (with its API key and first credits), list, move credits both
ways, remove; the same sub-accounts SMSFactor's /sub-accounts shows."""

from __future__ import annotations

from tests.api.smspartner.partner import MOBILE, TUESDAY, at, xml_reply


async def create(client, customer, **parameters) -> dict:
    body = {
        "apiKey": customer.token,
        "type": "simple",
        "parameters": {"email": "child@example.com", "firstname": "Ana", **parameters},
    }
    return (await client.post("/v1/subaccount/create", json=body)).json()


async def test_create_gives_a_key_that_sends_from_the_sub_accounts_credits(
    client, customer, platform
):
    at(platform, TUESDAY)
    answer = await create(client, customer, creditToAttribute="0.45")
    child_key = answer["subaccount"]["token"]
    assert answer == {
        "success": True,
        "code": 200,
        "subaccount": {"email": "child@example.com", "token": child_key},
        "sendConfirmMailTo": "child@example.com",
        "parent_email": "shop@example.com",
    }
    me = (await client.get("/v1/me", params={"apiKey": child_key})).json()
    assert me["credits"]["creditSms"] == 10
    send = {"apiKey": child_key, "phoneNumbers": MOBILE, "message": "Hi"}
    assert (await client.post("/v1/send", json=send)).json()["success"] is True
    smsfactor = (
        await client.get("/credits", headers={"Authorization": f"Bearer {child_key}"})
    ).json()
    assert smsfactor["credits"] == "9"
    parent = (await client.get("/sub-accounts", headers=customer.bearer)).json()
    assert [a["email"] for a in parent["sub-accounts"]] == ["child@example.com"]


async def test_list_and_move_credits(client, customer, platform):
    at(platform, TUESDAY)
    await create(client, customer)
    listed = (await client.get("/v1/subaccount/list", params={"apiKey": customer.token})).json()
    [child] = listed["data"]
    assert listed == {
        "success": True,
        "code": 200,
        "total": 1,
        "nb_per_page": 20,
        "page": 1,
        "data": [
            {
                "id": child["id"],
                "email": "child@example.com",
                "type": "simple",
                "token": str(child["id"]),
                "createdAt": "",
                "credits": {"balance": "0.000", "currency": "EUR"},
            }
        ],
    }
    move = {"apiKey": customer.token, "credit": "0.9", "tokenSubaccount": child["token"]}
    added = (await client.post("/v1/subaccount/credit/add", json=move)).json()
    assert added == {
        "success": True,
        "code": 200,
        "credit": 3.6,
        "subaccountCredit": 0.9,
        "currency": "EUR",
    }
    removed = (await client.post("/v1/subaccount/credit/remove", json=move)).json()
    assert (removed["credit"], removed["subaccountCredit"]) == (4.5, 0.0)
    xml = await client.get(
        "/v1/subaccount/list", params={"apiKey": customer.token, "_format": "xml"}
    )
    assert xml_reply(xml.content)["data"][0]["credits"] == {"balance": "0.000", "currency": "EUR"}


async def test_remove_revokes_the_key(client, customer, platform):
    at(platform, TUESDAY)
    child_key = (await create(client, customer))["subaccount"]["token"]
    body = {"apiKey": customer.token, "token": child_key}
    removed = (await client.request("DELETE", "/v1/subaccount/remove", json=body)).json()
    assert removed == {"success": True, "code": 200}
    assert (await client.get("/v1/me", params={"apiKey": child_key})).json()["code"] == 10
    listed = (await client.get("/v1/subaccount/list", params={"apiKey": customer.token})).json()
    assert listed["total"] == 0
    again = (await client.request("DELETE", "/v1/subaccount/remove", json=body)).json()
    assert again["code"] == 6


async def test_sub_account_errors(client, customer, platform):
    at(platform, TUESDAY)
    child_key = (await create(client, customer))["subaccount"]["token"]
    key = customer.token
    cases = [
        ("/v1/subaccount/credit/add", {"apiKey": key, "tokenSubaccount": child_key}, 3),
        ("/v1/subaccount/credit/add", {"apiKey": key, "credit": "1"}, 4),
        ("/v1/subaccount/credit/add", {"apiKey": key, "credit": "0", "tokenSubaccount": "1"}, 5),
        ("/v1/subaccount/credit/add", {"apiKey": key, "credit": "x", "tokenSubaccount": "1"}, 5),
        ("/v1/subaccount/credit/add", {"apiKey": key, "credit": "1", "tokenSubaccount": "999"}, 6),
        ("/v1/subaccount/credit/add", {"apiKey": key, "credit": "1", "tokenSubaccount": "rl_x"}, 6),
        ("/v1/subaccount/credit/add", {"apiKey": key, "credit": "inf", "tokenSubaccount": "1"}, 5),
        ("/v1/subaccount/credit/add", {"apiKey": key, "credit": "nan", "tokenSubaccount": "1"}, 5),
        (
            "/v1/subaccount/credit/add",
            {"apiKey": key, "credit": "1", "tokenSubaccount": "9" * 30},
            6,
        ),
        (
            "/v1/subaccount/credit/remove",
            {"apiKey": key, "credit": "1", "tokenSubaccount": child_key},
            7,
        ),
        (
            "/v1/subaccount/credit/add",
            {"apiKey": key, "credit": "100", "tokenSubaccount": child_key},
            11,
        ),
        ("/v1/subaccount/create", {"apiKey": child_key, "parameters": {"email": "a@b.fr"}}, 2),
        ("/v1/subaccount/create", {"apiKey": key, "parameters": {"email": "nope"}}, 9),
        (
            "/v1/subaccount/create",
            {"apiKey": key, "parameters": {"email": "c@example.com", "creditToAttribute": 100}},
            11,
        ),
    ]
    for path, body, code in cases:
        answer = (await client.post(path, json=body)).json()
        assert (answer["success"], answer["code"]) == (False, code), body
    listed = await client.get("/v1/subaccount/list", params={"apiKey": child_key})
    assert listed.json()["code"] == 2
