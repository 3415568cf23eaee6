"""GET /notification/balance and PUT /notification/balance in JSON and XML: the defaults,
the reference's example answered back, partial updates, bad values refused with nothing
stored, and sub-accounts' own settings."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import select
from tests.support import fetch_all

from relais.services import sub_accounts, tokens
from relais.store.tables import balance_notifications

XML = {"Accept": "application/xml", "Content-Type": "application/xml"}
PATH = "/notification/balance"
DEFAULT = {
    "alert_trigger": "0",
    "alert_email": "0",
    "alert_gsm": "0",
    "email": "",
    "phone_number": "",
}
# The example of the SMSFactor documentation (api_reference §1.10).
EXAMPLE = {
    "alert_trigger": "500",
    "alert_email": "1",
    "alert_gsm": "1",
    "email": "ano@nyme.com",
    "phone_number": "33612345678",
}


async def put(client, customer, spec) -> dict:
    reply = await client.put(PATH, json={"notification": spec}, headers=customer.bearer)
    assert reply.status_code == 200
    return reply.json()


async def stored_rows(platform) -> list[tuple]:
    c = balance_notifications.c
    rows = await fetch_all(
        platform,
        select(
            c.account_id, c.alert_trigger, c.alert_email, c.alert_gsm, c.email, c.phone_number
        ).order_by(c.account_id),
    )
    return [tuple(row) for row in rows]


async def test_get_of_an_account_without_settings_is_the_default(client, customer, platform):
    reply = await client.get(PATH, headers=customer.bearer)
    assert reply.status_code == 200
    assert reply.json() == {"status": 1, "message": "OK", "notification": DEFAULT}
    assert await stored_rows(platform) == []


async def test_put_the_reference_example_answers_it_back(client, customer, platform):
    assert await put(client, customer, EXAMPLE) == {
        "status": 1,
        "message": "OK",
        "notification": EXAMPLE,
    }
    got = (await client.get(PATH, headers=customer.bearer)).json()
    assert got == {"status": 1, "message": "OK", "notification": EXAMPLE}
    assert await stored_rows(platform) == [
        (customer.account.id, 500, True, True, "ano@nyme.com", "33612345678")
    ]


async def test_put_with_some_fields_changes_only_those(client, customer, platform):
    await put(client, customer, EXAMPLE)
    answer = await put(client, customer, {"alert_trigger": 20, "alert_gsm": 0})
    assert answer["notification"] == {**EXAMPLE, "alert_trigger": "20", "alert_gsm": "0"}
    assert await stored_rows(platform) == [
        (customer.account.id, 20, True, False, "ano@nyme.com", "33612345678")
    ]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({"alert_trigger": "0750"}, ("alert_trigger", "750")),
        ({"alert_trigger": 0}, ("alert_trigger", "0")),
        ({"alert_email": 1}, ("alert_email", "1")),
        ({"email": " ops@shop.example "}, ("email", "ops@shop.example")),
        ({"email": ""}, ("email", "")),
        ({"phone_number": "+33612345678"}, ("phone_number", "33612345678")),
        ({"phone_number": ""}, ("phone_number", "")),
    ],
)
async def test_put_stores_the_normal_form(client, customer, given, stored):
    answer = await put(client, customer, given)
    assert answer["status"] == 1
    assert answer["notification"][stored[0]] == stored[1]


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"alert_trigger": "-1"}, "alert_trigger"),
        ({"alert_trigger": -1}, "alert_trigger"),
        ({"alert_trigger": "5.5"}, "alert_trigger"),
        ({"alert_trigger": 5.0}, "alert_trigger"),
        ({"alert_trigger": ""}, "alert_trigger"),
        ({"alert_trigger": "five"}, "alert_trigger"),
        ({"alert_trigger": True}, "alert_trigger"),
        ({"alert_trigger": " 0750 "}, "alert_trigger"),  # spaces are not digits
        ({"alert_trigger": "١٢"}, "alert_trigger"),  # digits, but not ASCII ones
        ({"alert_trigger": "10000000000001"}, "alert_trigger"),
        ({"alert_email": "2"}, "alert_email"),
        ({"alert_email": "yes"}, "alert_email"),
        ({"alert_gsm": True}, "alert_gsm"),
        ({"alert_gsm": ""}, "alert_gsm"),
        ({"email": "not-an-address"}, "email"),
        ({"email": ["a@b.co"]}, "email"),
        ({"phone_number": "06 12 34 56 78"}, "phone_number"),
        ({"phone_number": "33-612345678"}, "phone_number"),
        ({"phone_number": 33612345678}, "phone_number"),
        ({"alert_trigger": "100", "email": "nope"}, "email"),  # the good one is not kept
        ({"trigger": "100"}, "trigger"),
    ],
)
async def test_put_with_a_bad_value_is_minus_7_and_stores_nothing(
    client, customer, platform, spec, named
):
    await put(client, customer, EXAMPLE)
    before = await stored_rows(platform)
    reply = await put(client, customer, spec)
    assert reply["status"] == -7 and reply["message"] == "Data error"
    assert named in reply["details"]
    assert await stored_rows(platform) == before


@pytest.mark.parametrize(
    "body", [{}, {"notification": {}}, {"notification": "500"}, {"alert_trigger": "500"}]
)
async def test_put_without_a_notification_object_is_minus_7(client, customer, platform, body):
    reply = await client.put(PATH, json=body, headers=customer.bearer)
    assert reply.json()["status"] == -7
    assert await stored_rows(platform) == []


async def test_without_credentials_is_minus_1(client, platform):
    assert (await client.get(PATH)).json()["status"] == -1
    reply = await client.put(PATH, json={"notification": EXAMPLE})
    assert reply.json()["status"] == -1
    assert await stored_rows(platform) == []


async def test_balance_notification_in_xml(client, customer, platform):
    body = (
        "<notification><alert_trigger>500</alert_trigger><alert_email>1</alert_email>"
        "<alert_gsm>0</alert_gsm><email>ano@nyme.com</email>"
        "<phone_number>33612345678</phone_number></notification>"
    )
    reply = await client.put(PATH, content=body, headers={**customer.bearer, **XML})
    assert reply.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(reply.content)
    assert root.tag == "response" and root.findtext("status") == "1"
    expected = [
        ("alert_trigger", "500"),
        ("alert_email", "1"),
        ("alert_gsm", "0"),
        ("email", "ano@nyme.com"),
        ("phone_number", "33612345678"),
    ]
    assert [(e.tag, e.text) for e in root.find("notification")] == expected
    got = await client.get(PATH, headers={**customer.bearer, "Accept": ""})
    root = ElementTree.fromstring(got.content)
    assert [(e.tag, e.text) for e in root.find("notification")] == expected
    bad = await client.put(
        PATH,
        content="<notification><alert_trigger>lots</alert_trigger></notification>",
        headers={**customer.bearer, **XML},
    )
    assert ElementTree.fromstring(bad.content).findtext("status") == "-7"
    assert await stored_rows(platform) == [
        (customer.account.id, 500, True, False, "ano@nyme.com", "33612345678")
    ]


async def test_a_sub_account_has_its_own_settings(client, customer, platform):
    child_id = await sub_accounts.open_account(
        platform,
        caller=customer.account,
        email="branch@example.com",
        password="secret1",
        child=True,
        unlimited=False,
    )
    child_token = await tokens.create_token(platform, account_id=child_id)
    child_bearer = {"Authorization": f"Bearer {child_token.value}"}
    await put(client, customer, EXAMPLE)
    assert (await client.get(PATH, headers=child_bearer)).json()["notification"] == DEFAULT
    reply = await client.put(
        PATH, json={"notification": {"alert_trigger": "10"}}, headers=child_bearer
    )
    assert reply.json()["notification"] == {**DEFAULT, "alert_trigger": "10"}
    parent = (await client.get(PATH, headers=customer.bearer)).json()
    assert parent["notification"] == EXAMPLE
    assert await stored_rows(platform) == [
        (customer.account.id, 500, True, True, "ano@nyme.com", "33612345678"),
        (child_id, 10, False, False, "", ""),
    ]
