"""GET /retention and PUT /retention in JSON and XML: defaults, partial updates, the
normal forms stored, bad values refused with nothing stored, and sub-accounts' own settings."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, fetch_value

from relais.services import accounts, sub_accounts, tokens
from relais.store.tables import retention_settings

XML = {"Accept": "application/xml", "Content-Type": "application/xml"}
ENDLESS = {"message": "-1", "list": "-1", "survey": "-1", "campaign": "-1"}
# The example of the SMSFactor documentation (api_reference §1.10).
EXAMPLE = {"message": "2d", "survey": "5m", "list": "2m", "campaign": "5m"}


async def put(client, customer, spec) -> dict:
    reply = await client.put("/retention", json={"retention": spec}, headers=customer.bearer)
    assert reply.status_code == 200
    return reply.json()


async def stored_rows(platform) -> list[tuple]:
    c = retention_settings.c
    rows = await fetch_all(
        platform,
        select(c.account_id, c.message, c.list, c.survey, c.campaign).order_by(c.account_id),
    )
    return [tuple(row) for row in rows]


async def test_get_retention_of_an_account_without_settings_is_endless(client, customer, platform):
    reply = await client.get("/retention", headers=customer.bearer)
    assert reply.status_code == 200
    assert reply.json() == {"status": 1, "message": "OK", "data_retention": ENDLESS}
    assert await stored_rows(platform) == []


async def test_put_retention_stores_and_answers_all_four_fields(client, customer, platform):
    assert await put(client, customer, EXAMPLE) == {
        "status": 1,
        "message": "OK",
        "retention": {"message": "2d", "list": "2m", "survey": "5m", "campaign": "5m"},
    }
    got = (await client.get("/retention", headers=customer.bearer)).json()
    assert got["data_retention"] == EXAMPLE
    assert await stored_rows(platform) == [(customer.account.id, "2d", "2m", "5m", "5m")]


async def test_put_with_some_fields_changes_only_those(client, customer, platform):
    await put(client, customer, {"campaign": "12m"})
    assert await stored_rows(platform) == [(customer.account.id, "-1", "-1", "-1", "12m")]
    answer = await put(client, customer, {"message": "30d", "list": -1})
    assert answer["retention"] == {
        "message": "30d",
        "list": "-1",
        "survey": "-1",
        "campaign": "12m",
    }
    assert await stored_rows(platform) == [(customer.account.id, "30d", "-1", "-1", "12m")]


@pytest.mark.parametrize(
    ("given", "stored"),
    [(" 2D ", "2d"), ("07d", "7d"), ("120m", "120m"), ("3660d", "3660d"), (-1, "-1"), ("-1", "-1")],
)
async def test_put_stores_the_normal_form(client, customer, platform, given, stored):
    answer = await put(client, customer, {"message": given})
    assert answer["status"] == 1 and answer["retention"]["message"] == stored
    assert await stored_rows(platform) == [(customer.account.id, stored, "-1", "-1", "-1")]


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"message": "2w"}, "message"),
        ({"message": "0d"}, "message"),
        ({"campaign": "-2"}, "campaign"),
        ({"campaign": "2"}, "campaign"),
        ({"campaign": 2}, "campaign"),
        ({"list": "3661d"}, "list"),
        ({"list": "121m"}, "list"),
        ({"survey": ""}, "survey"),
        ({"message": "1.5m"}, "message"),
        ({"message": "d"}, "message"),
        ({"message": True}, "message"),
        ({"message": {"value": "2d"}}, "message"),
        ({"message": ["2d"]}, "message"),
        ({"message": "2d", "campaign": "forever"}, "campaign"),  # the good one is not kept
        ({"messages": "2d"}, "messages"),
    ],
)
async def test_put_with_a_bad_value_is_minus_7_and_stores_nothing(
    client, customer, platform, spec, named
):
    await put(client, customer, {"message": "9d"})
    before = await stored_rows(platform)
    reply = await put(client, customer, spec)
    assert reply["status"] == -7 and reply["message"] == "Data error"
    assert named in reply["details"]
    assert await stored_rows(platform) == before


@pytest.mark.parametrize("body", [{}, {"retention": {}}, {"retention": "2d"}, {"message": "2d"}])
async def test_put_without_a_retention_object_is_minus_7(client, customer, platform, body):
    reply = await client.put("/retention", json=body, headers=customer.bearer)
    assert reply.json()["status"] == -7
    assert await stored_rows(platform) == []


async def test_put_with_malformed_bodies_is_minus_6_or_minus_2(client, customer, platform):
    broken_json = await client.put(
        "/retention",
        content=b'{"retention": {"message": ',
        headers={**customer.bearer, "Content-Type": "application/json"},
    )
    assert broken_json.json()["status"] == -6
    broken_xml = await client.put(
        "/retention",
        content="<retention><message>2d</retention>",
        headers={**customer.bearer, **XML},
    )
    assert ElementTree.fromstring(broken_xml.content).findtext("status") == "-2"
    assert await stored_rows(platform) == []


async def test_retention_without_credentials_is_minus_1(client, platform):
    assert (await client.get("/retention")).json()["status"] == -1
    reply = await client.put("/retention", json={"retention": {"message": "2d"}})
    assert reply.json()["status"] == -1
    assert await stored_rows(platform) == []


async def test_retention_in_xml(client, customer, platform):
    body = "<retention><message>2d</message><campaign>5m</campaign></retention>"
    reply = await client.put("/retention", content=body, headers={**customer.bearer, **XML})
    assert reply.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(reply.content)
    assert root.tag == "response" and root.findtext("status") == "1"
    assert [(e.tag, e.text) for e in root.find("retention")] == [
        ("message", "2d"),
        ("list", "-1"),
        ("survey", "-1"),
        ("campaign", "5m"),
    ]
    # No Accept header: SMSFactor answers XML by default.
    got = await client.get("/retention", headers={**customer.bearer, "Accept": ""})
    root = ElementTree.fromstring(got.content)
    assert root.findtext("data_retention/message") == "2d"
    assert root.findtext("data_retention/campaign") == "5m"
    bad = await client.put(
        "/retention",
        content="<retention><message>2 days</message></retention>",
        headers={**customer.bearer, **XML},
    )
    assert ElementTree.fromstring(bad.content).findtext("status") == "-7"
    assert await stored_rows(platform) == [(customer.account.id, "2d", "-1", "-1", "5m")]


async def test_a_sub_account_has_its_own_settings(client, customer, platform):
    child_id = await sub_accounts.open_account(
        platform,
        caller=customer.account,
        email="branch@example.com",
        password="secret1",
        child=True,
        unlimited=True,
    )
    child = await accounts.find_account(platform, email="branch@example.com")
    assert child.id == child_id
    child_token = await tokens.create_token(platform, account_id=child_id)
    child_bearer = {"Authorization": f"Bearer {child_token.value}"}
    await put(client, customer, {"message": "2d"})
    seen = (await client.get("/retention", headers=child_bearer)).json()
    assert seen["data_retention"] == ENDLESS
    reply = await client.put(
        "/retention", json={"retention": {"campaign": "1m"}}, headers=child_bearer
    )
    assert reply.json()["retention"] == {**ENDLESS, "campaign": "1m"}
    parent = (await client.get("/retention", headers=customer.bearer)).json()
    assert parent["data_retention"] == {**ENDLESS, "message": "2d"}
    assert await fetch_value(platform, select(func.count()).select_from(retention_settings)) == 2
