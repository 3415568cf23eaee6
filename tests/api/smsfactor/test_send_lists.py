"""POST /send/lists and /send/lists/simulate (api_reference §1.4.4, §1.4.5) in JSON and XML:
mail-merge per contact priced on its own text, duplicates across lists, opt-outs, the shapes
clients send, bad input storing nothing, and one account never sending to another's list."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select, update
from tests.support import fetch_all, fetch_value, make_customer

from relais.core.schedule import PARIS
from relais.services import list_import, opt_outs, sub_accounts, tokens
from relais.services.list_import import NewContact
from relais.services.opt_outs import OptOutContact
from relais.store.ledger import ledger_sum
from relais.store.tables import (
    accounts,
    campaign_lists,
    campaigns,
    contacts,
    credit_ledger,
    messages,
)

XML = {"Accept": "application/xml", "Content-Type": "application/xml"}
TUESDAY = datetime(2026, 7, 7, 10, 0, tzinfo=PARIS)


async def make_list(platform, customer, *contacts_: tuple, name: str = "List") -> int:
    report = await list_import.create_list(
        platform,
        account=customer.account,
        name=name,
        contacts=[NewContact(*c) if isinstance(c, tuple) else NewContact(c) for c in contacts_],
    )
    return report.list_id


def body(text: str, *list_ids: int, **message) -> dict:
    return {
        "sms": {
            "message": {"text": text, **message},
            "lists": [{"value": list_id} for list_id in list_ids],
        }
    }


async def stored(platform) -> list[tuple]:
    m = messages.c
    rows = await fetch_all(
        platform,
        select(m.destination, m.text, m.parts, m.cost, m.contact_id).order_by(m.destination),
    )
    return [tuple(r) for r in rows]


async def nothing_stored(platform, account_id: int, balance: int) -> bool:
    count = select(func.count())
    return (
        await fetch_value(platform, count.select_from(campaigns)) == 0
        and await fetch_value(platform, count.select_from(messages)) == 0
        and await fetch_value(platform, count.select_from(campaign_lists)) == 0
        and await fetch_value(
            platform, select(accounts.c.balance).where(accounts.c.id == account_id)
        )
        == balance
        and await platform.db.read(lambda conn: ledger_sum(conn, account_id)) == balance
    )


def xml_fields(content: bytes) -> dict[str, str]:
    root = ElementTree.fromstring(content)
    assert root.tag == "response"
    return {child.tag: (child.text or "") for child in root}


# --- contract -----------------------------------------------------------------------------


async def test_send_lists_merges_each_contact_and_answers_every_counter(client, customer, platform):
    first = await make_list(
        platform, customer, ("33612345678", "Louis", "de Broglie"), ("33612345677", "Richard")
    )
    second = await make_list(platform, customer, ("33612345676",), ("33612345678", "Again"))
    reply = await client.post(
        "/send/lists",
        json=body("Bonjour [info1] [INFO2]!", first, second),
        headers=customer.bearer,
    )
    answer = reply.json()
    assert answer == {
        "status": 1,
        "message": "OK",
        "ticket": answer["ticket"],
        "cost": 3,
        "credits": 97,
        "total": 4,
        "sent": 3,
        "blacklisted": 0,
        "duplicated": 1,
        "npai": 0,
        "invalid": 0,
        "not_allowed": 0,
        "flood": 0,
        "country_limit": 0,
    }
    contact_ids: dict[str, int] = {}
    for number, contact_id in await fetch_all(
        platform, select(contacts.c.destination, contacts.c.id).order_by(contacts.c.id)
    ):
        contact_ids.setdefault(number, contact_id)  # the first list's entry is the one sent
    assert await stored(platform) == [
        ("33612345676", "Bonjour  !", 1, 1, contact_ids["33612345676"]),
        ("33612345677", "Bonjour Richard !", 1, 1, contact_ids["33612345677"]),
        ("33612345678", "Bonjour Louis de Broglie!", 1, 1, contact_ids["33612345678"]),
    ]
    ticket = int(answer["ticket"])
    links = await fetch_all(platform, select(campaign_lists.c.list_id).order_by("list_id"))
    assert [r[0] for r in links] == sorted([first, second])
    row = (await fetch_all(platform, select(campaigns).where(campaigns.c.id == ticket)))[0]
    assert (row.text, row.kind, row.status, row.cost, row.total, row.sent, row.duplicated) == (
        "Bonjour [info1] [INFO2]!",
        "list",
        "queued",
        3,
        4,
        3,
        1,
    )
    shown = (await client.get(f"/campaign/{ticket}", headers=customer.bearer)).json()
    assert sorted(x["id"] for x in shown["campaign"][0]["lists"]) == sorted(
        [str(first), str(second)]
    )


async def test_send_lists_in_xml_with_one_lists_element_per_list(client, customer, platform):
    first = await make_list(platform, customer, ("33612345678", "Louis"))
    second = await make_list(platform, customer, ("33612345677", "Hiroo"))
    xml = (
        "<sms><message><text>Hi [info1]</text><sender>Shop</sender></message>"
        f"<lists><value>{first}</value></lists><lists><value>{second}</value></lists></sms>"
    )
    reply = await client.post("/send/lists", content=xml, headers={**XML, **customer.bearer})
    assert reply.headers["content-type"].startswith("application/xml")
    fields = xml_fields(reply.content)
    assert (fields["status"], fields["sent"], fields["cost"], fields["credits"]) == (
        "1",
        "2",
        "2",
        "98",
    )
    assert set(fields) >= {"ticket", "npai", "flood", "duplicated", "invalid", "country_limit"}
    assert [r[1] for r in await stored(platform)] == ["Hi Hiroo", "Hi Louis"]
    assert await fetch_value(platform, select(campaigns.c.sender)) == "Shop"


@pytest.mark.parametrize(
    "shape",
    [
        lambda a, b: [{"value": a}, {"value": str(b)}],
        lambda a, b: {"list": [{"value": a}, {"value": b}]},
        lambda a, b: [a, b],
        lambda a, b: [{"id": a}, {"listId": b}],
    ],
)
async def test_send_lists_accepts_the_list_shapes_clients_send(client, customer, platform, shape):
    first = await make_list(platform, customer, "33612345678")
    second = await make_list(platform, customer, "33612345677")
    payload = {"sms": {"message": {"text": "Hi"}, "lists": shape(first, second)}}
    reply = await client.post("/send/lists", json=payload, headers=customer.bearer)
    assert (reply.json()["status"], reply.json()["sent"]) == (1, 2)


async def test_send_lists_xml_wrapped_list_elements(client, customer, platform):
    first = await make_list(platform, customer, "33612345678")
    second = await make_list(platform, customer, "33612345677")
    xml = (
        "<sms><message><text>Hi</text></message><lists>"
        f"<list><value>{first}</value></list><list><value>{second}</value></list></lists></sms>"
    )
    reply = await client.post("/send/lists", content=xml, headers={**XML, **customer.bearer})
    assert xml_fields(reply.content)["sent"] == "2"


async def test_simulate_lists_counts_and_prices_without_storing(client, customer, platform):
    list_id = await make_list(platform, customer, ("33612345678", "x" * 200), "33612345677")
    reply = await client.post(
        "/send/lists/simulate", json=body("[info1]", list_id), headers=customer.bearer
    )
    answer = reply.json()
    assert (answer["status"], answer["cost"], answer["sent"], answer["credits"]) == (1, 3, 2, 100)
    assert "ticket" not in answer
    assert await nothing_stored(platform, customer.account.id, 100)
    xml = (
        f"<sms><message><text>[info1]</text></message><lists><value>{list_id}</value></lists></sms>"
    )
    reply = await client.post(
        "/send/lists/simulate", content=xml, headers={**XML, **customer.bearer}
    )
    assert xml_fields(reply.content)["cost"] == "3"
    assert await nothing_stored(platform, customer.account.id, 100)


# --- pricing of merged texts --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fill", "lengths", "parts"),
    [
        # GSM-7: 160 in one SMS, 153 per part beyond.
        ("x", (160, 161, 306, 307), (1, 2, 2, 3)),
        # An extension character weighs two septets: 80 of them fill one SMS.
        ("€", (80, 81), (1, 2)),
        # UCS-2: 70 in one SMS, 67 per part beyond.
        ("ж", (70, 71, 134, 135), (1, 2, 2, 3)),
    ],
)
async def test_each_merged_text_is_priced_on_its_own_length(
    client, customer, platform, fill, lengths, parts
):
    # A field holds at most 255 characters: longer texts are split over info1 and info2.
    entries = [
        (f"336123456{i:02d}", fill * min(n, 200), fill * (n - min(n, 200)) or None)
        for i, n in enumerate(lengths)
    ]
    list_id = await make_list(platform, customer, *entries)
    reply = await client.post(
        "/send/lists", json=body("[info1][info2]", list_id), headers=customer.bearer
    )
    assert reply.json()["cost"] == sum(parts)
    rows = await stored(platform)
    assert [len(r[1]) for r in rows] == list(lengths)
    assert [r[2] for r in rows] == list(parts)
    assert [r[3] for r in rows] == list(parts)


async def test_merge_crossing_a_part_boundary_with_the_template_text(client, customer, platform):
    # 150 template characters: "Al" (152) fits one SMS, a 20-letter name (170) needs two.
    list_id = await make_list(
        platform, customer, ("33612345678", "Al"), ("33612345677", "Maximilian-Alexander")
    )
    template = "[info1] " + "y" * 142
    reply = await client.post("/send/lists", json=body(template, list_id), headers=customer.bearer)
    assert reply.json()["cost"] == 3
    assert [r[2] for r in await stored(platform)] == [2, 1]


async def test_a_template_without_fields_stores_no_text_per_message(client, customer, platform):
    list_id = await make_list(platform, customer, ("33612345678", "Louis"), "33612345677")
    await client.post("/send/lists", json=body("Same for all", list_id), headers=customer.bearer)
    assert [r[1] for r in await stored(platform)] == [None, None]


async def test_a_contact_whose_merge_needs_too_many_parts_is_counted_invalid(
    client, customer, platform
):
    list_id = await make_list(
        platform, customer, ("33612345678", "Louis"), ("33612345677", "x" * 255)
    )
    template = "[info1]" * 7  # 1,785 characters for the second contact: 12 parts
    reply = await client.post("/send/lists", json=body(template, list_id), headers=customer.bearer)
    answer = reply.json()
    assert (answer["sent"], answer["invalid"], answer["cost"]) == (1, 1, 1)


# --- opt-outs and marketing ---------------------------------------------------------------


async def test_blacklisted_npai_and_flagged_contacts_are_counted_and_not_charged(
    client, customer, platform
):
    list_id = await make_list(
        platform, customer, "33612345671", "33612345672", "33612345673", "33612345674"
    )
    await opt_outs.add_opt_outs(
        platform,
        account=customer.account,
        kind="blacklist",
        contacts=[OptOutContact("33612345671")],
    )
    await opt_outs.add_opt_outs(
        platform, account=customer.account, kind="npai", contacts=[OptOutContact("33612345672")]
    )
    await platform.db.write(
        lambda conn: conn.execute(
            update(contacts).where(contacts.c.destination == "33612345673").values(npai=True)
        )
    )
    answer = (
        await client.post("/send/lists", json=body("Hi", list_id), headers=customer.bearer)
    ).json()
    assert (answer["blacklisted"], answer["npai"], answer["sent"], answer["cost"]) == (1, 2, 1, 1)
    assert [r[0] for r in await stored(platform)] == ["33612345674"]


async def test_marketing_list_send_gets_the_notice_and_waits_for_the_window(
    client, customer, platform
):
    platform.clock = lambda: datetime(2026, 7, 12, 15, 0, tzinfo=PARIS)  # a Sunday
    list_id = await make_list(platform, customer, ("33612345678", "Louis"))
    reply = await client.post(
        "/send/lists",
        json=body("Promo [info1]", list_id, pushtype="marketing"),
        headers=customer.bearer,
    )
    assert reply.json()["status"] == 1
    assert [r[1] for r in await stored(platform)] == ["Promo Louis\nSTOP au 36179"]
    status, send_at = (await fetch_all(platform, select(campaigns.c.status, campaigns.c.send_at)))[
        0
    ]
    monday = datetime(2026, 7, 13, 8, 0, tzinfo=PARIS)
    assert (status, send_at) == ("scheduled", int(monday.timestamp() * 1000))
    assert await fetch_value(platform, select(messages.c.due_at)) == send_at


async def test_flooded_list_contacts_are_counted_in_flood(client, customer, platform):
    from dataclasses import replace

    platform.clock = lambda: TUESDAY
    platform.settings = replace(platform.settings, flood_per_hour=1)
    await client.get("/send", params={"to": "33612345678", "text": "x"}, headers=customer.bearer)
    list_id = await make_list(platform, customer, "33612345678", "33612345677")
    answer = (
        await client.post("/send/lists", json=body("Hi", list_id), headers=customer.bearer)
    ).json()
    assert (answer["flood"], answer["sent"], answer["cost"]) == (1, 1, 1)


# --- bad input and isolation --------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"sms": {"message": {"text": "Hi"}}}, -7),
        ({"sms": {"message": {"text": "Hi"}, "lists": []}}, -7),
        ({"sms": {"lists": [{"value": 1}]}}, -7),
        ({"sms": {"message": {"text": ""}, "lists": [{"value": 1}]}}, -7),
        (
            {"sms": {"message": {"text": "Hi"}, "lists": [{"value": "5a0331bffc5886074551ce97"}]}},
            -5,
        ),
        ({"sms": {"message": {"text": "Hi"}, "lists": [{"value": 999999}]}}, -5),
        ({"sms": {"message": {"text": "Hi", "pushtype": "spam"}, "lists": "LIST"}}, -7),
        ({"sms": {"message": {"text": "Hi", "delay": "yesterday"}, "lists": "LIST"}}, -4),
        ({"sms": {"message": {"text": "x" * 1600}, "lists": "LIST"}}, -7),
    ],
)
async def test_bad_list_sends_store_nothing_and_take_nothing(
    client, customer, platform, payload, status
):
    list_id = await make_list(platform, customer, "33612345678")
    if payload["sms"].get("lists") == "LIST":
        payload["sms"]["lists"] = [{"value": list_id}]
    reply = await client.post("/send/lists", json=payload, headers=customer.bearer)
    assert reply.json()["status"] == status
    assert await nothing_stored(platform, customer.account.id, 100)


async def test_a_list_send_the_balance_does_not_cover_stores_nothing(client, platform):
    poor = await make_customer(platform, email="poor@example.com", credits=2)
    list_id = await make_list(platform, poor, "33612345678", "33612345677", "33612345676")
    reply = await client.post("/send/lists", json=body("Hi", list_id), headers=poor.bearer)
    assert reply.json()["status"] == -3
    assert await nothing_stored(platform, poor.account.id, 2)
    simulated = await client.post(
        "/send/lists/simulate", json=body("Hi", list_id), headers=poor.bearer
    )
    assert simulated.json()["status"] == -3


async def test_a_token_cannot_send_to_another_accounts_list(client, customer, platform):
    other = await make_customer(platform, email="other@example.com")
    theirs = await make_list(platform, other, "33612345678")
    mine = await make_list(platform, customer, "33612345677")
    for path in ("/send/lists", "/send/lists/simulate"):
        reply = await client.post(path, json=body("Hi", mine, theirs), headers=customer.bearer)
        assert reply.json()["status"] == -5
        xml = f"<sms><message><text>Hi</text></message><lists><value>{theirs}</value></lists></sms>"
        reply = await client.post(path, content=xml, headers={**XML, **customer.bearer})
        assert xml_fields(reply.content)["status"] == "-5"
    assert await nothing_stored(platform, customer.account.id, 100)
    assert await fetch_value(platform, select(func.count()).select_from(credit_ledger)) == 2


async def test_parent_and_sub_account_send_only_to_their_own_lists(client, customer, platform):
    await sub_accounts.open_account(
        platform,
        caller=customer.account,
        email="child@example.com",
        password="secret1",
        child=True,
        unlimited=True,
    )
    child_id = (await sub_accounts.list_sub_accounts(platform, account=customer.account))[
        0
    ].account.id
    child_token = await tokens.create_token(platform, account_id=child_id)
    child = {"Authorization": f"Bearer {child_token.value}"}
    parent_list = await make_list(platform, customer, "33612345678")
    reply = await client.post("/send/lists", json=body("Hi", parent_list), headers=child)
    assert reply.json()["status"] == -5
    reply = await client.post(
        "/list", json={"list": {"name": "Own", "contacts": {"gsm": ["33612345677"]}}}, headers=child
    )
    child_list = reply.json()["id"]
    reply = await client.post("/send/lists", json=body("Hi", child_list), headers=customer.bearer)
    assert reply.json()["status"] == -5
    # The unlimited sub-account's own list send is paid by its parent.
    reply = await client.post("/send/lists", json=body("Hi", child_list), headers=child)
    assert (reply.json()["status"], reply.json()["credits"]) == (1, 99)
