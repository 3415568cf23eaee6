"""GET/POST /blacklist, DELETE /blacklist/contact/:id and the same for /npai, in JSON and
XML: the reference shapes, numbers normalized and invalid ones counted, bad bodies refused
with nothing stored, and each account (sub-accounts included) alone with its lists."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, fetch_value, make_customer

from relais.services import tokens
from relais.store.tables import blacklist, npai

XML = {"Accept": "application/xml", "Content-Type": "application/xml"}
KINDS = ["blacklist", "npai"]
TABLES = {"blacklist": blacklist, "npai": npai}
ANNA = "33612345678"
BRUNO = "33612345677"


def body(kind: str, *entries) -> dict:
    return {kind: {"contacts": {"gsm": list(entries)}}}


async def add(client, customer, kind: str, *entries) -> dict:
    reply = await client.post(f"/{kind}", json=body(kind, *entries), headers=customer.bearer)
    assert reply.status_code == 200
    return reply.json()


async def listed(client, customer, kind: str, **params) -> dict:
    reply = await client.get(f"/{kind}", params=params, headers=customer.bearer)
    assert reply.status_code == 200
    return reply.json()


async def rows_of(platform, kind: str) -> list[tuple]:
    table = TABLES[kind]
    rows = await fetch_all(
        platform,
        select(table.c.account_id, table.c.destination, table.c.origin, table.c.info1).order_by(
            table.c.id
        ),
    )
    return [tuple(r) for r in rows]


@pytest.mark.parametrize("kind", KINDS)
async def test_post_adds_normalized_numbers_and_counts_invalid_ones(
    client, customer, platform, kind
):
    answer = await add(
        client,
        customer,
        kind,
        {"value": "+33612345678", "info1": "Isaac", "info2": "Asimov", "info3": 1919},
        {"value": "06 12 34 56 77"},  # national: the account's country (FR)
        {"value": ANNA, "info1": "again"},  # repeated in the request: counted once
        {"value": "not a number"},
        {"value": "0012"},
    )
    assert answer == {"status": 1, "message": "OK", "added_contacts": 2, "invalid": 2}
    assert await rows_of(platform, kind) == [
        (customer.account.id, ANNA, "api", "Isaac"),
        (customer.account.id, BRUNO, "api", None),
    ]
    shown = await listed(client, customer, kind)
    assert shown["status"] == 1
    assert (shown["totalRecords"], shown["totalDisplayRecords"]) == (2, 2)
    first = shown["list"][0]
    assert set(first) == {
        "id",
        "destination",
        "date",
        "info1",
        "info2",
        "info3",
        "info4",
        "user_information",
        "campaign_id",
        "batch_id",
    }
    assert first["destination"] == ANNA
    assert (first["info1"], first["info2"], first["info3"], first["info4"]) == (
        "Isaac",
        "Asimov",
        "1919",
        None,
    )
    assert (first["user_information"], first["campaign_id"], first["batch_id"]) == ([], None, None)
    assert isinstance(first["id"], str) and first["id"].isdigit()
    assert len(first["date"]) == 19 and first["date"][10] == " "


@pytest.mark.parametrize("kind", KINDS)
async def test_a_number_already_listed_keeps_its_entry(client, customer, platform, kind):
    await add(client, customer, kind, {"value": ANNA, "info1": "first"})
    answer = await add(client, customer, kind, {"value": ANNA, "info1": "second"}, BRUNO)
    assert (answer["added_contacts"], answer["invalid"]) == (1, 0)
    assert await rows_of(platform, kind) == [
        (customer.account.id, ANNA, "api", "first"),
        (customer.account.id, BRUNO, "api", None),
    ]


@pytest.mark.parametrize("kind", KINDS)
async def test_xml_attribute_form_with_the_list_root(client, customer, platform, kind):
    xml = (
        "<list><contacts>"
        '<gsm info1="Hiroo" info2="Onoda">33612345678</gsm>'
        "<gsm>0612345677</gsm>"
        '<gsm info1="x">123</gsm>'
        "</contacts></list>"
    )
    reply = await client.post(f"/{kind}", content=xml, headers={**customer.bearer, **XML})
    root = ElementTree.fromstring(reply.content)
    assert root.tag == "response"
    assert (root.find("status").text, root.find("added_contacts").text) == ("1", "2")
    assert root.find("invalid").text == "1"
    assert await rows_of(platform, kind) == [
        (customer.account.id, ANNA, "api", "Hiroo"),
        (customer.account.id, BRUNO, "api", None),
    ]


@pytest.mark.parametrize("kind", KINDS)
async def test_xml_element_form_and_xml_listing(client, customer, kind):
    xml = (
        f"<{kind}><contacts><gsm><value>33612345678</value><info1>Grace</info1></gsm>"
        f"</contacts></{kind}>"
    )
    reply = await client.post(f"/{kind}", content=xml, headers={**customer.bearer, **XML})
    assert ElementTree.fromstring(reply.content).find("added_contacts").text == "1"
    await add(client, customer, kind, BRUNO)
    shown = await client.get(f"/{kind}", headers={**customer.bearer, **XML})
    root = ElementTree.fromstring(shown.content)
    entries = root.findall("list")
    assert [e.find("destination").text for e in entries] == [ANNA, BRUNO]
    assert entries[0].find("info1").text == "Grace"
    assert entries[1].find("info1").text is None
    assert root.find("totalRecords").text == "2"


@pytest.mark.parametrize("kind", KINDS)
async def test_listing_is_paged_in_the_order_numbers_were_added(client, customer, kind):
    numbers = [f"3361234560{i}" for i in range(5)]
    for number in numbers:
        await add(client, customer, kind, number)
    page = await listed(client, customer, kind, start=1, length=2)
    assert [e["destination"] for e in page["list"]] == numbers[1:3]
    assert (page["totalRecords"], page["totalDisplayRecords"]) == (5, 5)
    rest = await listed(client, customer, kind, start=4)
    assert [e["destination"] for e in rest["list"]] == numbers[4:]
    for params in ({"length": 1001}, {"length": 0}, {"start": -1}, {"start": "x"}):
        reply = await client.get(f"/{kind}", params=params, headers=customer.bearer)
        assert reply.json()["status"] == -7, params


@pytest.mark.parametrize("kind", KINDS)
async def test_delete_removes_one_entry_of_ones_own_list(client, customer, platform, kind):
    await add(client, customer, kind, ANNA, BRUNO)
    entries = (await listed(client, customer, kind))["list"]
    path = f"/{kind}/contact/{entries[0]['id']}"
    reply = await client.delete(path, headers=customer.bearer)
    assert reply.json() == {"status": 1, "message": "OK"}
    assert [r[1] for r in await rows_of(platform, kind)] == [BRUNO]
    again = await client.delete(path, headers=customer.bearer)
    assert again.json()["status"] == -5
    for bad in ("abc", "0", "-3", "99999999"):
        reply = await client.delete(f"/{kind}/contact/{bad}", headers=customer.bearer)
        assert reply.json()["status"] == -5, bad
    assert [r[1] for r in await rows_of(platform, kind)] == [BRUNO]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"contacts": {"gsm": [{"value": ANNA}]}},  # no root
        {"{kind}": {"contacts": {"gsm": []}}},
        {"{kind}": {"contacts": []}},
        {"{kind}": {"contacts": {"gsm": [{"value": ANNA}, {"info1": "no number"}]}}},
        {"{kind}": {"contacts": {"gsm": [{"value": ANNA}, {"value": ""}]}}},
        {"{kind}": {"contacts": {"gsm": [{"value": ANNA, "info1": {"nested": 1}}]}}},
        {"{kind}": {"contacts": {"gsm": [{"value": ANNA}, {"value": BRUNO, "info4": "x" * 256}]}}},
        {"{kind}": {"contacts": {"gsm": [{"value": ["33612345678"]}]}}},
    ],
)
async def test_bad_body_is_refused_and_nothing_stored(client, customer, platform, kind, payload):
    payload = {key.replace("{kind}", kind): value for key, value in payload.items()}
    reply = await client.post(f"/{kind}", json=payload, headers=customer.bearer)
    assert reply.status_code == 200
    assert reply.json()["status"] == -7
    assert await rows_of(platform, kind) == []


@pytest.mark.parametrize("kind", KINDS)
async def test_malformed_bodies_are_json_and_xml_errors(client, customer, platform, kind):
    broken_json = await client.post(
        f"/{kind}",
        content='{"blacklist": ',
        headers={**customer.bearer, "Content-Type": "application/json"},
    )
    assert broken_json.json()["status"] == -6
    broken_xml = await client.post(
        f"/{kind}", content="<list><contacts>", headers={**customer.bearer, **XML}
    )
    assert ElementTree.fromstring(broken_xml.content).find("status").text == "-2"
    assert await rows_of(platform, kind) == []


@pytest.mark.parametrize("kind", KINDS)
async def test_delete_in_xml_answers_in_xml(client, customer, platform, kind):
    await add(client, customer, kind, ANNA, BRUNO)
    entry = (await listed(client, customer, kind))["list"][0]
    path = f"/{kind}/contact/{entry['id']}"
    root = ElementTree.fromstring(
        (await client.delete(path, headers={**customer.bearer, **XML})).content
    )
    assert (root.tag, root.find("status").text, root.find("message").text) == (
        "response",
        "1",
        "OK",
    )
    again = ElementTree.fromstring(
        (await client.delete(path, headers={**customer.bearer, **XML})).content
    )
    assert again.find("status").text == "-5"
    assert [r[1] for r in await rows_of(platform, kind)] == [BRUNO]


@pytest.mark.parametrize("kind", KINDS)
async def test_too_many_contacts_are_refused_whole(client, customer, platform, kind):
    entries = [f"336{10_000_000 + i}" for i in range(10_001)]
    reply = await client.post(f"/{kind}", json=body(kind, *entries), headers=customer.bearer)
    assert reply.json()["status"] == -7
    assert await fetch_value(platform, select(func.count()).select_from(TABLES[kind])) == 0


@pytest.mark.parametrize("kind", KINDS)
async def test_without_credentials_nothing_is_read_or_stored(client, platform, kind):
    reply = await client.post(f"/{kind}", json=body(kind, ANNA))
    assert reply.json()["status"] == -1
    assert (await client.get(f"/{kind}")).json()["status"] == -1
    assert await rows_of(platform, kind) == []


@pytest.mark.parametrize("kind", KINDS)
async def test_other_accounts_cannot_read_add_to_or_delete_from_a_list(
    client, customer, platform, kind
):
    other = await make_customer(platform, email="other@example.com")
    await add(client, customer, kind, {"value": ANNA, "info1": "mine"})
    mine = (await listed(client, customer, kind))["list"]
    theirs = await listed(client, other, kind)
    assert (theirs["list"], theirs["totalRecords"]) == ([], 0)
    reply = await client.delete(f"/{kind}/contact/{mine[0]['id']}", headers=other.bearer)
    assert reply.json()["status"] == -5
    # The same number on the other account's list is its own entry, mine is untouched.
    assert (await add(client, other, kind, {"value": ANNA, "info1": "theirs"}))[
        "added_contacts"
    ] == 1
    assert await rows_of(platform, kind) == [
        (customer.account.id, ANNA, "api", "mine"),
        (other.account.id, ANNA, "api", "theirs"),
    ]
    assert [e["info1"] for e in (await listed(client, customer, kind))["list"]] == ["mine"]


@pytest.mark.parametrize("kind", KINDS)
async def test_parent_and_sub_account_each_see_only_their_own_list(
    client, customer, platform, kind
):
    created = await client.post(
        "/account",
        json={
            "account": {
                "email": "child@example.com",
                "password": "test987654",
                "isChild": 1,
                "unlimited": 0,
            }
        },
        headers=customer.bearer,
    )
    child_id = created.json()["id"]
    token = await tokens.create_token(platform, account_id=child_id)
    child = {"Authorization": f"Bearer {token.value}"}
    reply = await client.post(f"/{kind}", json=body(kind, BRUNO), headers=child)
    assert reply.json()["added_contacts"] == 1
    await add(client, customer, kind, ANNA)
    own = (await client.get(f"/{kind}", headers=child)).json()["list"]
    assert [e["destination"] for e in own] == [BRUNO]
    parents = (await listed(client, customer, kind))["list"]
    assert [e["destination"] for e in parents] == [ANNA]
    refused = await client.delete(f"/{kind}/contact/{parents[0]['id']}", headers=child)
    assert refused.json()["status"] == -5
    refused = await client.delete(f"/{kind}/contact/{own[0]['id']}", headers=customer.bearer)
    assert refused.json()["status"] == -5
    assert sorted(r[1] for r in await rows_of(platform, kind)) == [BRUNO, ANNA]


async def test_a_blacklisted_number_is_not_sent_to_nor_charged(client, customer):
    await add(client, customer, "blacklist", "0612345678")
    body = {"sms": {"message": {"text": "Hi"}, "recipients": {"gsm": [ANNA, BRUNO]}}}
    reply = (await client.post("/send", json=body, headers=customer.bearer)).json()
    assert (reply["sent"], reply["blacklisted"], reply["cost"]) == (1, 1, 1)


async def test_a_number_deleted_from_the_blacklist_is_sent_to_again(client, customer):
    await add(client, customer, "blacklist", ANNA)
    entry = (await listed(client, customer, "blacklist"))["list"][0]
    await client.delete(f"/blacklist/contact/{entry['id']}", headers=customer.bearer)
    reply = await client.get("/send", params={"to": ANNA, "text": "Hi"}, headers=customer.bearer)
    assert (reply.json()["sent"], reply.json()["blacklisted"]) == (1, 0)
