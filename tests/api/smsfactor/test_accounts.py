"""POST /account, GET /account, GET /sub-accounts, GET /sub-accounts/:id,
GET /account/:id/unlock and GET /credits for sub-accounts, in JSON and XML."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select, update
from tests.support import fetch_all, fetch_value, make_customer

from relais.services import accounts, tokens
from relais.store.tables import accounts as accounts_table

XML = {"Accept": "application/xml", "Content-Type": "application/xml"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def child_spec(**fields) -> dict:
    return {
        "email": "child@example.com",
        "password": "test987654",
        "isChild": 1,
        "unlimited": 0,
        **fields,
    }


async def create(client, customer, spec: dict) -> dict:
    reply = await client.post("/account", json={"account": spec}, headers=customer.bearer)
    assert reply.status_code == 200
    return reply.json()


async def child_token(platform, client, customer, **fields) -> tuple[int, str]:
    created = await create(client, customer, child_spec(**fields))
    assert created["status"] == 1, created
    token = await tokens.create_token(platform, account_id=created["id"])
    return created["id"], token.value


async def account_count(platform) -> int:
    return await fetch_value(platform, select(func.count()).select_from(accounts_table))


async def test_create_limited_and_unlimited_sub_accounts(client, customer, platform):
    limited = await create(client, customer, child_spec(firstname="Jean", city="Nice"))
    assert set(limited) == {"status", "message", "id", "active"}
    assert limited["status"] == 1 and limited["active"] == 1 and isinstance(limited["id"], int)
    unlimited = await create(
        client, customer, child_spec(email="u@example.com", unlimited="1", isChild="1")
    )
    assert unlimited["status"] == 1
    rows = await fetch_all(
        platform,
        select(
            accounts_table.c.id,
            accounts_table.c.parent_id,
            accounts_table.c.unlimited,
            accounts_table.c.country,
            accounts_table.c.firstname,
        ).where(accounts_table.c.parent_id.is_not(None)),
    )
    assert sorted(tuple(r) for r in rows) == [
        (limited["id"], customer.account.id, False, "FR", "Jean"),
        (unlimited["id"], customer.account.id, True, "FR", ""),
    ]
    # The new account logs in with its own password.
    ref = await accounts.authenticate_password(platform, "child@example.com", "test987654")
    assert ref.parent_id == customer.account.id


async def test_create_sub_account_in_xml(client, customer, platform):
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><account><email>x@example.com</email>'
        "<password>test987654</password><firstname>Jean</firstname><lastname>Jacques</lastname>"
        "<city>Nice</city><phone>0102030405</phone><address1>rue droite</address1>"
        "<address2></address2><zip>06000</zip><country_code>be</country_code>"
        "<isChild>1</isChild><unlimited>1</unlimited></account>"
    )
    reply = await client.post("/account", content=body, headers={**XML, **customer.bearer})
    root = ElementTree.fromstring(reply.content)
    assert root.findtext("status") == "1" and root.findtext("active") == "1"
    new_id = int(root.findtext("id"))
    row = (
        await fetch_all(
            platform,
            select(
                accounts_table.c.country, accounts_table.c.unlimited, accounts_table.c.zip
            ).where(accounts_table.c.id == new_id),
        )
    )[0]
    assert tuple(row) == ("BE", True, "06000")


BAD_FIELDS = [
    ({"email": "not-an-email"}, "email"),
    ({"email": ""}, "email"),
    ({"email": "shop@example.com"}, "email"),  # taken by the parent
    ({"password": "12345"}, "password"),
    ({"password": "x" * 26}, "password"),
    ({"password": ""}, "password"),
    ({"country_code": "XX"}, "country_code"),
    ({"type": "pirate"}, "type"),
    ({"firstname": "x" * 101}, "firstname"),
    ({"address1": "x" * 201}, "address1"),
    ({"zip": "x" * 21}, "zip"),
    ({"phone": "call me"}, "phone"),
    ({"sender": "way too long sender"}, "sender"),
    ({"lang": "French"}, "lang"),
    ({"description": "x" * 501}, "description"),
    ({"unlimited": "maybe"}, "unlimited"),
    ({"unlimited": None}, "unlimited"),
    ({"isChild": "yes"}, "isChild"),
    ({"city": {"name": "Nice"}}, "city"),
]


@pytest.mark.parametrize(("fields", "named"), BAD_FIELDS)
async def test_bad_field_is_refused_and_nothing_stored(client, customer, platform, fields, named):
    before = await account_count(platform)
    spec = {k: v for k, v in child_spec(**fields).items() if v is not None}
    reply = await create(client, customer, spec)
    assert reply["status"] == -7, reply
    assert named in reply["details"]
    assert await account_count(platform) == before


async def test_bad_body_is_refused(client, customer):
    reply = await client.post("/account", json={"nope": 1}, headers=customer.bearer)
    assert reply.json()["status"] == -7


async def test_main_account_needs_open_signup(client, customer, platform):
    spec = {"email": "new@example.com", "password": "test987654", "country_code": "fr"}
    refused = await create(client, customer, spec)
    assert refused["status"] == -1
    assert "operator" in refused["details"]
    assert await account_count(platform) == 1

    platform.settings = dataclasses.replace(platform.settings, open_signup=True)
    missing_country = await create(client, customer, {**spec, "country_code": ""})
    assert missing_country["status"] == -7 and "country_code" in missing_country["details"]
    created = await create(client, customer, {**spec, "isChild": "0"})
    assert created["status"] == 1
    parent = await fetch_value(
        platform, select(accounts_table.c.parent_id).where(accounts_table.c.id == created["id"])
    )
    assert parent is None


async def test_get_account_shape(client, customer, platform):
    child_id, token = await child_token(
        platform,
        client,
        customer,
        firstname="Elliot",
        lastname="Alderson",
        city="New York",
        type="private",
        company="Allsafe",
        phone="33612345678",
        address1="unknown address",
        zip="10040",
        country_code="US",
        lang="EN",
        unlimited=1,
        description="Fsociety",
    )
    reply = await client.get("/account", headers=bearer(token))
    assert reply.json() == {
        "status": 1,
        "message": "OK",
        "account": {
            "client_id": str(child_id),
            "email": "child@example.com",
            "firstname": "Elliot",
            "lastname": "Alderson",
            "city": "New York",
            "type": "private",
            "company": "Allsafe",
            "phone": "33612345678",
            "address1": "unknown address",
            "address2": None,
            "zip": "10040",
            "country": "",
            "country_code": "US",
            "lang": "EN",
            "credits": "0",
            "unlimited": "1",
            "description": "Fsociety",
            "senderid": None,
            "status": "1",
        },
    }
    mine = (await client.get("/account", headers=customer.bearer)).json()["account"]
    assert mine["credits"] == "100" and mine["unlimited"] == "0" and mine["lang"] == "FR"
    xml = await client.get("/account", headers={**XML, **customer.bearer})
    root = ElementTree.fromstring(xml.content)
    assert root.findtext("account/email") == "shop@example.com"
    assert root.findtext("account/credits") == "100"


async def send_bulk(client, token: str, *numbers: str, delay: str | None = None) -> dict:
    message = {"text": "Hello"}
    if delay:
        message["delay"] = delay
    reply = await client.post(
        "/send",
        json={"sms": {"message": message, "recipients": {"gsm": [{"value": n} for n in numbers]}}},
        headers=bearer(token),
    )
    return reply.json()


async def test_sub_accounts_list_with_consumption(client, customer, platform):
    now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    platform.clock = lambda: now
    unlimited_id, unlimited = await child_token(platform, client, customer, unlimited=1)
    limited_id, _ = await child_token(
        platform, client, customer, email="l@example.com", sender="MyShop"
    )
    # February (previous month): 3 credits; March: 2 credits, plus 4 sent then refunded.
    now = datetime(2026, 2, 27, 9, 0, tzinfo=UTC)
    assert (await send_bulk(client, unlimited, "33612345671", "33612345672", "33612345673"))[
        "status"
    ] == 1
    now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    assert (await send_bulk(client, unlimited, "33612345674", "33612345675"))["status"] == 1
    later = await send_bulk(
        client, unlimited, *(f"3361234568{i}" for i in range(4)), delay="2026-03-20 10:00:00"
    )
    cancelled = await client.delete(f"/send/{later['ticket']}", headers=bearer(unlimited))
    assert cancelled.json()["status"] == 1

    reply = (await client.get("/sub-accounts", headers=customer.bearer)).json()
    assert reply["status"] == 1 and list(reply) == ["status", "message", "sub-accounts"]
    items = reply["sub-accounts"]
    assert [item["client_id"] for item in items] == [str(unlimited_id), str(limited_id)]
    first, second = items
    assert first["time_zone"] == "Europe/Paris"
    assert first["current_month_consumption"] == 2
    assert first["previous_month_consumption"] == 3
    assert first["unlimited"] == "1" and first["credits"] == "0"
    assert second["current_month_consumption"] == 0 == second["previous_month_consumption"]
    assert second["senderid"] == "MyShop" and second["unlimited"] == "0"

    xml = await client.get("/sub-accounts", headers={**XML, **customer.bearer})
    root = ElementTree.fromstring(xml.content)
    subs = root.findall("sub-accounts/sub-account")
    assert [s.findtext("client_id") for s in subs] == [str(unlimited_id), str(limited_id)]
    assert subs[0].findtext("current_month_consumption") == "2"
    assert subs[0].findtext("time_zone") == "Europe/Paris"

    one = (await client.get(f"/sub-accounts/{unlimited_id}", headers=customer.bearer)).json()
    assert one["status"] == 1 and one["sub-account"] == first
    one_xml = await client.get(f"/sub-accounts/{limited_id}", headers={**XML, **customer.bearer})
    assert ElementTree.fromstring(one_xml.content).findtext("sub-account/email") == "l@example.com"


async def test_empty_sub_accounts_list(client, customer):
    reply = (await client.get("/sub-accounts", headers=customer.bearer)).json()
    assert reply == {"status": 1, "message": "OK", "sub-accounts": []}
    xml = await client.get("/sub-accounts", headers={**XML, **customer.bearer})
    assert ElementTree.fromstring(xml.content).find("sub-accounts") is not None


async def test_visibility_between_parents_children_and_siblings(client, customer, platform):
    child_id, child = await child_token(platform, client, customer)
    sibling_id, _ = await child_token(platform, client, customer, email="s@example.com")
    other = await make_customer(platform, email="other@example.com")
    other_child_id, _ = await child_token(platform, client, other, email="oc@example.com")

    assert (await client.get(f"/sub-accounts/{child_id}", headers=customer.bearer)).json()[
        "status"
    ] == 1
    for target in (customer.account.id, sibling_id, other_child_id, child_id):
        reply = await client.get(f"/sub-accounts/{target}", headers=bearer(child))
        assert reply.json()["status"] == -5
        unlock = await client.get(f"/account/{target}/unlock", headers=bearer(child))
        assert unlock.json()["status"] == -5
    for target in (other_child_id, other.account.id, customer.account.id, 999999):
        reply = await client.get(f"/sub-accounts/{target}", headers=customer.bearer)
        assert reply.json()["status"] == -5
    assert (await client.get("/sub-accounts", headers=bearer(child))).json()["sub-accounts"] == []
    theirs = (await client.get("/sub-accounts", headers=other.bearer)).json()["sub-accounts"]
    assert [item["client_id"] for item in theirs] == [str(other_child_id)]


async def test_unlock_makes_a_locked_sub_account_work_again(client, customer, platform):
    child_id, child = await child_token(platform, client, customer)
    await platform.db.write(
        lambda conn: conn.execute(
            update(accounts_table).where(accounts_table.c.id == child_id).values(active=False)
        )
    )
    platform.tokens.clear()
    assert (await client.get("/credits", headers=bearer(child))).json()["status"] == -1
    listed = (await client.get(f"/sub-accounts/{child_id}", headers=customer.bearer)).json()
    assert listed["sub-account"]["status"] == "0"
    reply = await client.get(f"/account/{child_id}/unlock", headers=customer.bearer)
    assert reply.json() == {"status": 1, "message": "OK", "state": "unlocked"}
    assert (await client.get("/credits", headers=bearer(child))).json()["status"] == 1
    xml = await client.get(f"/account/{child_id}/unlock", headers={**XML, **customer.bearer})
    assert ElementTree.fromstring(xml.content).findtext("state") == "unlocked"


async def test_credits_of_sub_accounts(client, customer, platform):
    _, unlimited = await child_token(platform, client, customer, unlimited=1)
    _, limited = await child_token(platform, client, customer, email="l@example.com")
    assert (await client.get("/credits", headers=bearer(unlimited))).json() == {
        "status": 1,
        "message": "OK",
        "credits": "100",
        "postpaid": "0",
        "postpaid_limit": False,
        "unlimited": True,
    }
    mine = (await client.get("/credits", headers=bearer(limited))).json()
    assert mine["credits"] == "0" and mine["unlimited"] is False
    sent = await send_bulk(client, unlimited, "33612345678")
    assert sent["status"] == 1 and sent["credits"] == 99
    refused = await send_bulk(client, limited, "33612345678")
    assert refused["status"] == -3
    assert (await client.get("/credits", headers=customer.bearer)).json()["credits"] == "99"


async def test_a_scheduled_campaign_is_consumption_of_its_send_month_everywhere(
    client, customer, platform
):
    """GET /sub-accounts and GET /metrics/consumption share one definition: the credits of
    the messages of campaigns whose send time falls in the period, refunds excluded."""
    now = datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    platform.clock = lambda: now
    child_id, child = await child_token(platform, client, customer, unlimited=1)
    reply = await send_bulk(
        client, child, "33612345671", "33612345672", delay="2026-04-02 10:00:00"
    )
    assert reply["status"] == 1

    march = (await client.get("/sub-accounts", headers=customer.bearer)).json()["sub-accounts"][0]
    assert march["current_month_consumption"] == 0
    in_march = await client.get(
        "/metrics/consumption?date_start=2026-03-01&date_end=2026-03-31", headers=customer.bearer
    )
    assert in_march.json()["data"]["total"] == 0

    now = datetime(2026, 4, 3, 9, 0, tzinfo=UTC)
    april = (await client.get("/sub-accounts", headers=customer.bearer)).json()["sub-accounts"][0]
    assert (april["current_month_consumption"], april["previous_month_consumption"]) == (2, 0)
    in_april = await client.get(
        "/metrics/consumption?date_start=2026-04-01&date_end=2026-04-30", headers=customer.bearer
    )
    assert in_april.json()["data"]["total"] == 2
    assert in_april.json()["data"]["by_sub_accounts"][0]["account_id"] == child_id
