"""Contact lists over the SMSFactor API (api_reference §1.7), in JSON and XML: create, add
(listId / list_id, XML attributes), read with search and paging, edit, de-duplicate, move
NPAI numbers out, delete; bad input stores nothing; one account never reaches another's."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select, update
from tests.support import fetch_all, fetch_value, make_customer

from relais.services import sub_accounts, tokens
from relais.store.tables import contact_lists, contacts, npai

XML = {"Accept": "application/xml", "Content-Type": "application/xml"}
DOC_LIST = {
    "list": {
        "name": "My list",
        "contacts": {
            "gsm": [
                {
                    "value": "33612345678",
                    "info1": "Louis",
                    "info2": "de Broglie",
                    "info3": "1892",
                    "info4": "Dieppe",
                },
                {
                    "value": "33612345677",
                    "info1": "Richard",
                    "info2": "Feynman",
                    "info3": "1918",
                    "info4": "New-York",
                },
            ]
        },
    }
}


def xml(reply) -> ElementTree.Element:
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/xml; charset=utf-8"
    root = ElementTree.fromstring(reply.content)
    assert root.tag == "response"
    return root


async def post_json(client, customer, body) -> dict:
    reply = await client.post("/list", json=body, headers=customer.bearer)
    assert reply.status_code == 200
    return reply.json()


async def create(client, customer, *numbers: str, name: str = "Test") -> int:
    gsm = [{"value": n} for n in numbers]
    answer = await post_json(client, customer, {"list": {"name": name, "contacts": {"gsm": gsm}}})
    assert answer["status"] == 1, answer
    return answer["id"]


async def stored_contacts(platform, list_id: int | None = None) -> list[tuple]:
    c = contacts.c
    query = select(c.list_id, c.destination, c.country, c.info1, c.info2, c.info3, c.info4)
    if list_id is not None:
        query = query.where(c.list_id == list_id)
    return [tuple(r) for r in await fetch_all(platform, query.order_by(c.id))]


async def counts(platform) -> tuple[int, int, int]:
    return (
        await fetch_value(platform, select(func.count()).select_from(contact_lists)),
        await fetch_value(platform, select(func.count()).select_from(contacts)),
        await fetch_value(platform, select(func.count()).select_from(npai)),
    )


async def contact_ids(platform, list_id: int) -> list[int]:
    rows = await fetch_all(
        platform, select(contacts.c.id).where(contacts.c.list_id == list_id).order_by(contacts.c.id)
    )
    return [r[0] for r in rows]


# --- POST /list ------------------------------------------------------------------------------


async def test_create_list_answers_the_documented_shape_and_stores_contacts(
    client, customer, platform
):
    answer = await post_json(client, customer, DOC_LIST)
    list_id = answer["id"]
    assert isinstance(list_id, int)
    assert answer == {
        "status": 1,
        "message": "OK",
        "contacts": 2,
        "invalid": 0,
        "duplicates": 0,
        "id": list_id,
    }
    assert await stored_contacts(platform) == [
        (list_id, "33612345678", "FR", "Louis", "de Broglie", "1892", "Dieppe"),
        (list_id, "33612345677", "FR", "Richard", "Feynman", "1918", "New-York"),
    ]
    owner = await fetch_value(platform, select(contact_lists.c.account_id))
    assert owner == customer.account.id


async def test_create_list_counts_invalid_and_duplicates_and_stores_normalized_numbers(
    client, customer, platform
):
    gsm = [
        {"value": "+33 6 12 34 56 78"},
        {"value": "0612345678"},  # the same number in the account's national form
        {"value": "0033612345677"},
        {"value": "12"},
        {"value": "not a number"},
    ]
    answer = await post_json(client, customer, {"list": {"name": "N", "contacts": {"gsm": gsm}}})
    assert (answer["contacts"], answer["invalid"], answer["duplicates"]) == (5, 2, 1)
    rows = await stored_contacts(platform, answer["id"])
    assert [r[1] for r in rows] == ["33612345678", "33612345677"]


async def test_national_numbers_use_the_account_country(client, platform):
    swiss = await make_customer(platform, email="ch@example.com", country="CH")
    answer = await post_json(
        client, swiss, {"list": {"name": "CH", "contacts": {"gsm": [{"value": "0781234567"}]}}}
    )
    assert answer["invalid"] == 0
    assert [r[1:3] for r in await stored_contacts(platform)] == [("41781234567", "CH")]


async def test_create_list_without_name_is_named_after_its_creation_date(
    client, customer, platform
):
    answer = await post_json(client, customer, {"list": {"contacts": {"gsm": []}}})
    assert answer["status"] == 1 and answer["contacts"] == 0
    name = await fetch_value(platform, select(contact_lists.c.name))
    assert len(name) == 19 and name[4] == "-" and name[13] == ":"


async def test_add_contacts_with_list_id_counts_submitted_contacts(client, customer, platform):
    """The PHP SDK test adds one number twice and expects contacts == 2."""
    list_id = await create(client, customer, "33600000001")
    body = {
        "list": {
            "listId": list_id,
            "contacts": {
                "gsm": [
                    {"value": "33600000005", "info1": "contact 3", "info3": "contact 3"},
                    {"value": "33600000005", "info2": "contact 4", "info4": "contact 4"},
                    {"value": "33600000001"},  # already in the list
                ]
            },
        }
    }
    answer = await post_json(client, customer, body)
    assert answer == {
        "status": 1,
        "message": "OK",
        "contacts": 3,
        "invalid": 0,
        "duplicates": 2,
        "id": list_id,
    }
    assert await stored_contacts(platform, list_id) == [
        (list_id, "33600000001", "FR", None, None, None, None),
        (list_id, "33600000005", "FR", "contact 3", None, "contact 3", None),
    ]


@pytest.mark.parametrize("key", ["listId", "list_id"])
async def test_add_contacts_accepts_both_spellings_and_string_ids(client, customer, platform, key):
    list_id = await create(client, customer)
    body = {"list": {key: str(list_id), "contacts": {"gsm": [{"value": "33612345678"}]}}}
    answer = await post_json(client, customer, body)
    assert answer["id"] == list_id and answer["contacts"] == 1
    assert len(await stored_contacts(platform, list_id)) == 1


async def test_create_list_in_xml_with_elements(client, customer, platform):
    body = (
        "<list><name>My list</name><contacts>"
        "<gsm><value>33612345678</value><info1>Louis</info1><info2>de Broglie</info2></gsm>"
        "<gsm><value>33612345677</value></gsm>"
        "</contacts></list>"
    )
    root = xml(await client.post("/list", content=body, headers={**customer.bearer, **XML}))
    assert [(e.tag, e.text) for e in root] == [
        ("status", "1"),
        ("message", "OK"),
        ("contacts", "2"),
        ("invalid", "0"),
        ("duplicates", "0"),
        ("id", root.findtext("id")),
    ]
    list_id = int(root.findtext("id"))
    assert await stored_contacts(platform, list_id) == [
        (list_id, "33612345678", "FR", "Louis", "de Broglie", None, None),
        (list_id, "33612345677", "FR", None, None, None, None),
    ]


async def test_add_contacts_in_xml_with_attributes(client, customer, platform):
    list_id = await create(client, customer)
    body = (
        f"<list><listId>{list_id}</listId><contacts>"
        '<gsm info1="Hiroo" info2="Onoda">41781234567</gsm>'
        '<gsm info1="Grace" info2="Hopper">41781234568</gsm>'
        "<gsm>41781234567</gsm>"
        "</contacts></list>"
    )
    root = xml(await client.post("/list", content=body, headers={**customer.bearer, **XML}))
    assert root.findtext("status") == "1"
    assert (root.findtext("contacts"), root.findtext("duplicates")) == ("3", "1")
    assert root.findtext("id") == str(list_id)
    assert await stored_contacts(platform, list_id) == [
        (list_id, "41781234567", "CH", "Hiroo", "Onoda", None, None),
        (list_id, "41781234568", "CH", "Grace", "Hopper", None, None),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"list": "x"},
        {"list": {"name": "x", "contacts": "33612345678"}},
        {"list": {"name": "x", "contacts": {"gsm": [{"info1": "no number"}]}}},
        {"list": {"name": "x", "contacts": {"gsm": [{"value": {"nested": 1}}]}}},
        {"list": {"name": "x", "contacts": {"gsm": [{"value": "33612345678", "info1": ["a"]}]}}},
        {
            "list": {
                "name": "x",
                "contacts": {"gsm": [{"value": "33612345678", "info2": "x" * 256}]},
            }
        },
        {"list": {"name": "n" * 101}},
    ],
)
async def test_bad_post_list_is_minus_7_and_stores_nothing(client, customer, platform, body):
    answer = await post_json(client, customer, body)
    assert answer["status"] == -7 and answer["details"]
    assert await counts(platform) == (0, 0, 0)


async def test_bad_contact_in_an_addition_stores_nothing(client, customer, platform):
    list_id = await create(client, customer, "33612345678")
    body = {
        "list": {
            "listId": list_id,
            "contacts": {"gsm": [{"value": "33612345677"}, {"info1": "no number"}]},
        }
    }
    assert (await post_json(client, customer, body))["status"] == -7
    assert [r[1] for r in await stored_contacts(platform)] == ["33612345678"]


async def test_malformed_bodies_are_minus_6_and_minus_2(client, customer, platform):
    bad_json = await client.post(
        "/list",
        content=b'{"list": {',
        headers={**customer.bearer, "Content-Type": "application/json"},
    )
    assert bad_json.json()["status"] == -6
    bad_xml = await client.post(
        "/list", content=b"<list><name>", headers={**customer.bearer, **XML}
    )
    assert xml(bad_xml).findtext("status") == "-2"
    assert await counts(platform) == (0, 0, 0)


@pytest.mark.parametrize("list_id", ["999999", "abc", "-1", "0"])
async def test_adding_to_an_unknown_list_is_minus_5(client, customer, platform, list_id):
    body = {"list": {"listId": list_id, "contacts": {"gsm": [{"value": "33612345678"}]}}}
    answer = await post_json(client, customer, body)
    assert answer["status"] == -5
    assert await counts(platform) == (0, 0, 0)


async def test_list_endpoints_need_authentication(client):
    reply = await client.get("/lists", headers={"Authorization": "Bearer nope"})
    assert reply.json()["status"] == -1


# --- GET /lists and GET /list/:id ------------------------------------------------------------


async def test_get_lists_shows_id_name_date_and_count(client, customer):
    first = await create(client, customer, "33612345678", "33612345677", name="First")
    second = await create(client, customer, name="Empty")
    answer = (await client.get("/lists", headers=customer.bearer)).json()
    assert answer["status"] == 1
    assert [(x["id"], x["name"], x["count"]) for x in answer["lists"]] == [
        (first, "First", 2),
        (second, "Empty", 0),
    ]
    assert all(len(x["date"]) == 19 for x in answer["lists"])


async def test_get_lists_in_xml(client, customer, platform):
    list_id = await create(client, customer, "33612345678", name="Mine")
    root = xml(await client.get("/lists", headers={**customer.bearer, **XML}))
    (entry,) = root.find("lists")
    assert entry.tag == "list"
    assert entry.findtext("id") == str(list_id)
    assert (entry.findtext("name"), entry.findtext("count")) == ("Mine", "1")
    empty = await make_customer(platform, email="e@example.com")
    root = xml(await client.get("/lists", headers={**empty.bearer, **XML}))
    assert root.find("lists") is not None and len(root.find("lists")) == 0


async def test_get_list_answers_the_documented_shape(client, customer):
    answer = await post_json(client, customer, DOC_LIST)
    got = (await client.get(f"/list/{answer['id']}", headers=customer.bearer)).json()
    ids = [c["id"] for c in got["list"]]
    assert all(isinstance(i, str) for i in ids)
    assert got == {
        "status": 1,
        "message": "OK",
        "list": [
            {
                "id": ids[0],
                "destination": "33612345678",
                "info1": "Louis",
                "info2": "de Broglie",
                "info3": "1892",
                "info4": "Dieppe",
            },
            {
                "id": ids[1],
                "destination": "33612345677",
                "info1": "Richard",
                "info2": "Feynman",
                "info3": "1918",
                "info4": "New-York",
            },
        ],
        "name": "My list",
        "contacts": "2",
        "totalRecords": 2,
        "totalDisplayRecords": 2,
    }


async def test_get_list_leaves_out_infos_that_are_not_set(client, customer):
    list_id = await create(client, customer, "33612345678")
    got = (await client.get(f"/list/{list_id}", headers=customer.bearer)).json()
    assert got["list"] == [{"id": got["list"][0]["id"], "destination": "33612345678"}]


async def test_get_list_pages_with_start_and_length(client, customer):
    numbers = [f"336123456{i:02d}" for i in range(10)]
    list_id = await create(client, customer, *numbers)
    got = (
        await client.get(
            f"/list/{list_id}", params={"start": 3, "length": 4}, headers=customer.bearer
        )
    ).json()
    assert [c["destination"] for c in got["list"]] == numbers[3:7]
    assert (got["totalRecords"], got["totalDisplayRecords"], got["contacts"]) == (10, 10, "10")


async def test_get_list_search_matches_numbers_and_infos(client, customer):
    body = {
        "list": {
            "name": "S",
            "contacts": {
                "gsm": [
                    {"value": "33612345678", "info1": "Ada", "info3": "London"},
                    {"value": "33612345677", "info2": "Grace"},
                    {"value": "33699999999", "info4": "Paris 50%_off"},
                ]
            },
        }
    }
    list_id = (await post_json(client, customer, body))["id"]

    async def search(term: str) -> tuple[list[str], int, int]:
        got = (
            await client.get(f"/list/{list_id}", params={"search": term}, headers=customer.bearer)
        ).json()
        return (
            [c["destination"] for c in got["list"]],
            got["totalRecords"],
            got["totalDisplayRecords"],
        )

    assert await search("3456") == (["33612345678", "33612345677"], 3, 2)
    assert await search("london") == (["33612345678"], 3, 1)
    assert await search("GRACE") == (["33612345677"], 3, 1)
    assert await search("+33 6 99 99 99 99") == (["33699999999"], 3, 1)
    assert await search("0612345677") == (["33612345677"], 3, 1)
    assert await search("50%_") == (["33699999999"], 3, 1)
    assert await search("%") == (["33699999999"], 3, 1)
    assert await search("nobody") == ([], 3, 0)


async def test_get_list_in_xml(client, customer):
    answer = await post_json(client, customer, DOC_LIST)
    root = xml(await client.get(f"/list/{answer['id']}", headers={**customer.bearer, **XML}))
    assert root.findtext("status") == "1"
    entries = root.find("list")
    assert [e.tag for e in entries] == ["contact", "contact"]
    assert [e.findtext("destination") for e in entries] == ["33612345678", "33612345677"]
    assert entries[0].findtext("info4") == "Dieppe"
    assert root.findtext("name") == "My list"
    assert (root.findtext("totalRecords"), root.findtext("totalDisplayRecords")) == ("2", "2")


@pytest.mark.parametrize("params", [{"length": 1001}, {"length": 0}, {"start": -1}, {"start": "x"}])
async def test_get_list_with_bad_paging_is_minus_7(client, customer, params):
    list_id = await create(client, customer, "33612345678")
    got = (await client.get(f"/list/{list_id}", params=params, headers=customer.bearer)).json()
    assert got["status"] == -7


async def test_get_unknown_list_is_minus_5(client, customer):
    for path in ("/list/424242", "/list/abc"):
        assert (await client.get(path, headers=customer.bearer)).json()["status"] == -5


# --- changes -----------------------------------------------------------------------------------


async def test_deduplicate_removes_later_twins_and_answers_removed(client, customer, platform):
    list_id = await create(client, customer, "33612345678", "33612345677")
    # Duplicates reach a list by an update to an existing number (or concurrent additions).
    first, second = await contact_ids(platform, list_id)
    reply = await client.put(
        f"/list/contact/{second}", json={"value": "33612345678"}, headers=customer.bearer
    )
    assert reply.json()["status"] == 1
    answer = (await client.put(f"/list/deduplicate/{list_id}", headers=customer.bearer)).json()
    assert answer == {"status": 1, "message": "OK", "removed": 1}
    assert await contact_ids(platform, list_id) == [first]
    again = xml(
        await client.put(f"/list/deduplicate/{list_id}", headers={**customer.bearer, **XML})
    )
    assert (again.findtext("status"), again.findtext("removed")) == ("1", "0")


async def test_delete_contact(client, customer, platform):
    list_id = await create(client, customer, "33612345678", "33612345677")
    first, second = await contact_ids(platform, list_id)
    answer = (await client.delete(f"/list/contact/{first}", headers=customer.bearer)).json()
    assert answer == {"status": 1, "message": "OK"}
    assert await contact_ids(platform, list_id) == [second]
    root = xml(await client.delete(f"/list/contact/{second}", headers={**customer.bearer, **XML}))
    assert root.findtext("status") == "1"
    assert await contact_ids(platform, list_id) == []
    gone = (await client.delete(f"/list/contact/{second}", headers=customer.bearer)).json()
    assert gone["status"] == -5


async def test_update_contact_changes_only_the_given_fields(client, customer, platform):
    answer = await post_json(client, customer, DOC_LIST)
    list_id = answer["id"]
    first, _ = await contact_ids(platform, list_id)
    reply = await client.put(
        f"/list/contact/{first}",
        json={"value": "+41 78 123 45 67", "info2": "", "info4": "Paris"},
        headers=customer.bearer,
    )
    assert reply.json() == {"status": 1, "message": "OK"}
    rows = await stored_contacts(platform, list_id)
    assert rows[0] == (list_id, "41781234567", "CH", "Louis", None, "1892", "Paris")
    assert rows[1][1] == "33612345677"


@pytest.mark.parametrize(
    "body",
    [
        "<contact><info1>Marie</info1><info3>1867</info3></contact>",
        '<gsm info1="Marie" info3="1867">33612345678</gsm>',
    ],
)
async def test_update_contact_in_xml(client, customer, platform, body):
    list_id = await create(client, customer, "33612345678")
    (contact_id,) = await contact_ids(platform, list_id)
    root = xml(
        await client.put(
            f"/list/contact/{contact_id}", content=body, headers={**customer.bearer, **XML}
        )
    )
    assert root.findtext("status") == "1"
    assert await stored_contacts(platform, list_id) == [
        (list_id, "33612345678", "FR", "Marie", None, "1867", None)
    ]


@pytest.mark.parametrize(
    "body",
    [{}, {"value": "12"}, {"value": ""}, {"info1": "x" * 256}, {"contact": {"value": "nope"}}],
)
async def test_bad_contact_update_is_minus_7_and_changes_nothing(client, customer, platform, body):
    list_id = await create(client, customer, "33612345678")
    (contact_id,) = await contact_ids(platform, list_id)
    before = await stored_contacts(platform)
    reply = await client.put(f"/list/contact/{contact_id}", json=body, headers=customer.bearer)
    assert reply.json()["status"] == -7
    assert await stored_contacts(platform) == before


async def test_delete_list_deletes_its_contacts(client, customer, platform):
    keep = await create(client, customer, "33612345670")
    list_id = await create(client, customer, "33612345678", "33612345677")
    answer = (await client.delete(f"/list/{list_id}", headers=customer.bearer)).json()
    assert answer == {"status": 1, "message": "OK"}
    assert [r[0] for r in await stored_contacts(platform)] == [keep]
    lists = (await client.get("/lists", headers=customer.bearer)).json()["lists"]
    assert [x["id"] for x in lists] == [keep]
    root = xml(await client.delete(f"/list/{keep}", headers={**customer.bearer, **XML}))
    assert root.findtext("status") == "1"
    assert (await client.delete(f"/list/{keep}", headers=customer.bearer)).json()["status"] == -5
    assert await counts(platform) == (0, 0, 0)


async def mark_npai(platform, *numbers: str) -> None:
    await platform.db.write(
        lambda conn: conn.execute(
            update(contacts).where(contacts.c.destination.in_(numbers)).values(npai=True)
        )
    )


async def test_npai_clear_moves_npai_contacts_to_the_npai_list(client, customer, platform):
    body = {
        "list": {
            "name": "N",
            "contacts": {
                "gsm": [
                    {"value": "33612345678", "info1": "Gone", "info2": "Away"},
                    {"value": "33612345677", "info1": "Here"},
                    {"value": "33612345676", "info1": "Known"},
                ]
            },
        }
    }
    list_id = (await post_json(client, customer, body))["id"]
    # Already on the NPAI list: left as it is.
    await platform.db.write(
        lambda conn: conn.execute(
            npai.insert().values(
                account_id=customer.account.id,
                destination="33612345676",
                origin="api",
                created_at=1,
            )
        )
    )
    await mark_npai(platform, "33612345678", "33612345676")
    answer = (await client.put(f"/list/{list_id}/npai/clear", headers=customer.bearer)).json()
    assert answer == {"status": 1, "message": "OK", "removed": 2}
    assert [r[1] for r in await stored_contacts(platform, list_id)] == ["33612345677"]
    c = npai.c
    rows = await fetch_all(
        platform,
        select(c.account_id, c.destination, c.origin, c.info1, c.info2).order_by(c.destination),
    )
    assert [tuple(r) for r in rows] == [
        (customer.account.id, "33612345676", "api", None, None),
        (customer.account.id, "33612345678", "list", "Gone", "Away"),
    ]
    root = xml(await client.put(f"/list/{list_id}/npai/clear", headers={**customer.bearer, **XML}))
    assert (root.findtext("status"), root.findtext("removed")) == ("1", "0")


# --- tenants -----------------------------------------------------------------------------------


async def test_one_account_cannot_reach_another_accounts_lists(client, customer, platform):
    body = {
        "list": {
            "name": "Secret",
            "contacts": {"gsm": [{"value": "33612345678", "info1": "Ada"}, "33612345677"]},
        }
    }
    list_id = (await post_json(client, customer, body))["id"]
    first, _ = await contact_ids(platform, list_id)
    await mark_npai(platform, "33612345678", "33612345677")
    other = await make_customer(platform, email="other@example.com")
    before = (await stored_contacts(platform), await counts(platform))

    addition = {"list": {"listId": list_id, "contacts": {"gsm": [{"value": "33699999999"}]}}}
    attempts = [
        ("GET", f"/list/{list_id}", None),
        ("POST", "/list", addition),
        ("PUT", f"/list/deduplicate/{list_id}", None),
        ("PUT", f"/list/{list_id}/npai/clear", None),
        ("PUT", f"/list/contact/{first}", {"info1": "Eve"}),
        ("DELETE", f"/list/contact/{first}", None),
        ("DELETE", f"/list/{list_id}", None),
    ]
    for method, path, body in attempts:
        reply = await client.request(method, path, json=body, headers=other.bearer)
        assert reply.json()["status"] == -5, (method, path, reply.json())
    assert (await client.get("/lists", headers=other.bearer)).json()["lists"] == []
    assert (await stored_contacts(platform), await counts(platform)) == before


async def test_parent_and_sub_account_see_only_their_own_lists(client, customer, platform):
    await sub_accounts.open_account(
        platform,
        caller=customer.account,
        email="child@example.com",
        password="secret1",
        child=True,
        unlimited=False,
    )
    children = await sub_accounts.list_sub_accounts(platform, account=customer.account)
    child_id = children[0].account.id
    child_token = (await tokens.create_token(platform, account_id=child_id)).value
    child = {"Authorization": f"Bearer {child_token}"}
    parent_list = await create(client, customer, "33612345678", name="Parent")
    reply = await client.post(
        "/list",
        json={"list": {"name": "Child", "contacts": {"gsm": ["33612345677"]}}},
        headers=child,
    )
    child_list = reply.json()["id"]
    assert [x["id"] for x in (await client.get("/lists", headers=child)).json()["lists"]] == [
        child_list
    ]
    assert [
        x["id"] for x in (await client.get("/lists", headers=customer.bearer)).json()["lists"]
    ] == [parent_list]
    assert (await client.get(f"/list/{parent_list}", headers=child)).json()["status"] == -5
    assert (await client.get(f"/list/{child_list}", headers=customer.bearer)).json()["status"] == -5
