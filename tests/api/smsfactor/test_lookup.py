"""POST /lookup: numbering-plan answers, one credit per valid number as one ledger row,
invalid numbers free, and nothing taken when the balance does not cover the request."""

from __future__ import annotations

from xml.etree import ElementTree

from sqlalchemy import select
from tests.support import fetch_all, make_customer

from relais.services import credits
from relais.store.tables import credit_ledger

XML = {"Accept": "application/xml", "Content-Type": "application/xml"}
UNKNOWN_STATUS = {
    "name": "UNKNOWN",
    "description": "Live HLR status unknown: no lookup connector is configured; "
    "this answer comes from the numbering plan",
    "detailed": "NUMBERING_PLAN_ONLY",
}


async def lookup(client, customer, numbers, **kwargs) -> dict:
    reply = await client.post(
        "/lookup", json={"lookup": {"to": numbers}}, headers=customer.bearer, **kwargs
    )
    assert reply.status_code == 200
    return reply.json()


async def ledger_rows(platform, account_id: int) -> list:
    return await fetch_all(
        platform,
        select(credit_ledger.c.amount, credit_ledger.c.reason, credit_ledger.c.campaign_id)
        .where(credit_ledger.c.account_id == account_id)
        .order_by(credit_ledger.c.id),
    )


async def test_lookup_describes_numbers_and_debits_one_credit_each(client, customer, platform):
    reply = await lookup(client, customer, ["33612345678", "+41 79 123 45 67"])
    assert reply["status"] == 1 and reply["message"] == "OK"
    assert reply["cost"] == 2 and reply["credits"] == 98
    first, second = reply["response"]["lookup"]
    assert first == {
        "to": "33612345678",
        "mccMnc": None,
        "imsi": None,
        "originalNetwork": {
            "networkName": first["originalNetwork"]["networkName"],
            "networkPrefix": None,
            "countryName": "France",
            "countryPrefix": "33",
        },
        "numberType": "mobile",
        "ported": None,
        "roaming": None,
        "status": UNKNOWN_STATUS,
        "error": {"id": 0, "description": "No Error", "permanent": False},
    }
    assert isinstance(first["originalNetwork"]["networkName"], str)
    assert second["to"] == "41791234567"
    assert second["originalNetwork"]["countryName"] == "Switzerland"
    assert second["originalNetwork"]["countryPrefix"] == "41"
    assert second["numberType"] == "mobile"
    assert await ledger_rows(platform, customer.account.id) == [
        (100, "topup", None),
        (-2, "lookup", None),
    ]
    assert await credits.balance(platform, account_id=customer.account.id) == 98


async def test_lookup_national_number_uses_account_country_and_fixed_line(client, customer):
    reply = await lookup(client, customer, ["0144556677"])
    (entry,) = reply["response"]["lookup"]
    assert entry["to"] == "33144556677"
    assert entry["numberType"] == "fixed_line"
    assert entry["originalNetwork"]["networkName"] is None
    assert reply["cost"] == 1


async def test_lookup_invalid_numbers_are_free_and_reported(client, customer, platform):
    reply = await lookup(client, customer, ["33999", "33612345678", "not a number"])
    assert reply["status"] == 1
    assert reply["cost"] == 1 and reply["credits"] == 99
    invalid, valid, garbage = reply["response"]["lookup"]
    assert valid["error"]["id"] == 0
    for entry, given in ((invalid, "33999"), (garbage, "not a number")):
        assert entry["to"] == given
        assert entry["numberType"] is None
        assert entry["error"]["id"] != 0 and entry["error"]["permanent"] is True
        assert entry["status"]["detailed"] == "INVALID_NUMBER"
    assert (await ledger_rows(platform, customer.account.id))[-1] == (-1, "lookup", None)


async def test_lookup_of_only_invalid_numbers_costs_nothing(client, customer, platform):
    reply = await lookup(client, customer, ["12"])
    assert reply["status"] == 1 and reply["cost"] == 0 and reply["credits"] == 100
    assert await ledger_rows(platform, customer.account.id) == [(100, "topup", None)]


async def test_lookup_same_number_twice_is_charged_once(client, customer):
    reply = await lookup(client, customer, ["33612345678", "+33 6 12 34 56 78", "0612345678"])
    assert reply["cost"] == 1
    assert [e["to"] for e in reply["response"]["lookup"]] == ["33612345678"]


async def test_lookup_without_enough_credits_is_minus_3_and_takes_nothing(client, platform):
    poor = await make_customer(platform, email="poor@example.com", credits=1)
    reply = await lookup(client, poor, ["33612345678", "33612345677"])
    assert reply["status"] == -3
    assert await credits.balance(platform, account_id=poor.account.id) == 1
    assert await ledger_rows(platform, poor.account.id) == [(1, "topup", None)]


async def test_lookup_debits_only_the_caller(client, customer, platform):
    other = await make_customer(platform, email="other@example.com", credits=50)
    reply = await lookup(client, other, ["33612345678"])
    assert reply["credits"] == 49
    assert await credits.balance(platform, account_id=customer.account.id) == 100
    assert await ledger_rows(platform, customer.account.id) == [(100, "topup", None)]


async def test_lookup_bad_bodies(client, customer, platform):
    cases = [
        ({"json": {"lookup": {"to": []}}}, -7),
        ({"json": {"lookup": {}}}, -7),
        ({"json": {}}, -7),
        ({"json": {"lookup": "33612345678"}}, -7),
        ({"json": {"lookup": {"to": [{"n": 1}]}}}, -7),
        ({"json": {"lookup": {"to": ["33612345678"] * 501}}}, -7),
        ({"content": b'{"lookup": {"to": [', "headers": {"Content-Type": "application/json"}}, -6),
        ({"content": b"<lookup><to>336", "headers": {"Content-Type": "application/xml"}}, -2),
    ]
    for kwargs, status in cases:
        headers = {**customer.bearer, **kwargs.pop("headers", {})}
        reply = await client.post("/lookup", headers=headers, **kwargs)
        assert reply.status_code == 200
        assert reply.json()["status"] == status, kwargs
    assert await ledger_rows(platform, customer.account.id) == [(100, "topup", None)]


async def test_lookup_accepts_500_numbers(client, customer, platform):
    await credits.add_credits(platform, actor="test", account_id=customer.account.id, amount=1000)
    numbers = [f"336123{i:05d}" for i in range(500)]
    reply = await lookup(client, customer, numbers)
    assert reply["status"] == 1 and reply["cost"] == 500


async def test_lookup_without_credentials_is_minus_1(client):
    reply = await client.post("/lookup", json={"lookup": {"to": ["33612345678"]}})
    assert reply.json()["status"] == -1


async def test_lookup_in_xml(client, customer, platform):
    body = b"<lookup><to>33612345678</to><to>33999</to></lookup>"
    reply = await client.post("/lookup", content=body, headers={**customer.bearer, **XML})
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(reply.content)
    assert root.findtext("status") == "1"
    assert root.findtext("cost") == "1" and root.findtext("credits") == "99"
    entries = root.findall("response/lookup")
    assert [e.findtext("to") for e in entries] == ["33612345678", "33999"]
    assert entries[0].findtext("numberType") == "mobile"
    assert entries[0].findtext("originalNetwork/countryName") == "France"
    assert entries[0].findtext("status/name") == "UNKNOWN"
    assert entries[1].findtext("error/permanent") == "true"


async def test_lookup_single_number_in_xml(client, customer):
    body = b"<lookup><to>33612345678</to></lookup>"
    reply = await client.post("/lookup", content=body, headers={**customer.bearer, **XML})
    root = ElementTree.fromstring(reply.content)
    assert root.findtext("cost") == "1"
    assert len(root.findall("response/lookup")) == 1
