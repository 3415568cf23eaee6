"""Sending rules over the SMSFactor API, in JSON and XML: `not_allowed`, `country_limit`
(reached exactly, and under concurrent sends), the account's default sender, and moderation
(the -8 reply, GET /campaign, approve, refuse, DELETE /send/:id); on both backends."""

from __future__ import annotations

import asyncio
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, fetch_value

from relais.api.smsfactor.replies import MODERATION_MESSAGE
from relais.services import account_policy, moderation
from relais.store import audit
from relais.store.ledger import ledger_sum
from relais.store.tables import accounts, campaigns, country_usage, credit_ledger, messages

FR = "33612345678"
BE = "32470123456"
US = "12015550123"
LATER = "2099-06-15 10:00:00"
COUNTERS = (
    "cost",
    "credits",
    "total",
    "sent",
    "blacklisted",
    "duplicated",
    "npai",
    "invalid",
    "not_allowed",
    "flood",
    "country_limit",
)


def fr_numbers(count: int, start: int = 0) -> list[str]:
    return [f"336{20000000 + start + i:08d}" for i in range(count)]


def xml_body(*numbers: str, text: str = "Hello", sender: str | None = None) -> str:
    extra = f"<sender>{sender}</sender>" if sender else ""
    gsm = "".join(f"<gsm>{n}</gsm>" for n in numbers)
    return f"<sms><message><text>{text}</text>{extra}</message><recipients>{gsm}</recipients></sms>"


def json_body(*numbers: str, text: str = "Hello", **message) -> dict:
    return {
        "sms": {
            "message": {"text": text, **message},
            "recipients": {"gsm": [{"value": n} for n in numbers]},
        }
    }


async def post_send(client, customer, fmt: str, *numbers: str, text: str = "Hello", path="/send"):
    """POST /send in `fmt`, the reply's fields as JSON would give them (XML: as text)."""
    if fmt == "json":
        reply = await client.post(
            path, json=json_body(*numbers, text=text), headers=customer.bearer
        )
        assert reply.headers["content-type"].startswith("application/json")
        return reply.json()
    reply = await client.post(
        path,
        content=xml_body(*numbers, text=text),
        headers={**customer.bearer, "Content-Type": "application/xml", "Accept": "application/xml"},
    )
    assert reply.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(reply.content)
    assert root.tag == "response"
    return {child.tag: child.text or "" for child in root}


def counters(fields: dict, *names: str) -> tuple[int, ...]:
    return tuple(int(fields[name]) for name in names)


async def audit_actions(platform, action: str) -> list:
    return await platform.db.read(lambda conn: audit.list_entries(conn, action=action))


async def assert_balance_is_ledger(platform, account_id: int) -> int:
    balance = await fetch_value(
        platform, select(accounts.c.balance).where(accounts.c.id == account_id)
    )
    assert balance == await platform.db.read(lambda conn: ledger_sum(conn, account_id))
    return balance


# --- allowed countries ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_send_to_a_country_not_allowed_is_counted_in_not_allowed(
    client, customer, platform, fmt
):
    await account_policy.set_allowed_countries(
        platform, actor="op", account_id=customer.account.id, countries=["FR"]
    )
    fields = await post_send(client, customer, fmt, FR, BE, US)
    assert int(fields["status"]) == 1
    assert counters(fields, "total", "sent", "not_allowed", "cost", "credits") == (3, 1, 2, 1, 99)
    assert set(fields) >= {"ticket", *COUNTERS}
    stored = await fetch_all(platform, select(messages.c.destination))
    assert [r[0] for r in stored] == [FR]


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_simulation_counts_not_allowed_too(client, customer, platform, fmt):
    await account_policy.set_allowed_countries(
        platform, actor="op", account_id=customer.account.id, countries=["BE"]
    )
    fields = await post_send(client, customer, fmt, FR, BE, path="/send/simulate")
    assert counters(fields, "sent", "not_allowed", "cost") == (1, 1, 1)
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 0


async def test_single_send_to_a_country_not_allowed_costs_nothing(client, customer, platform):
    await account_policy.set_allowed_countries(
        platform, actor="op", account_id=customer.account.id, countries=["BE"]
    )
    reply = await client.get("/send", params={"to": FR, "text": "Hi"}, headers=customer.bearer)
    body = reply.json()
    assert (body["status"], body["sent"], body["not_allowed"], body["cost"]) == (1, 0, 1, 0)
    assert body["credits"] == 100
    assert await fetch_value(platform, select(func.count()).select_from(messages)) == 0


# --- monthly country caps ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_country_cap_reached_exactly_then_limits(client, customer, platform, fmt):
    await account_policy.set_country_cap(
        platform, actor="op", account_id=customer.account.id, country="FR", monthly_limit=3
    )
    exact = await post_send(client, customer, fmt, *fr_numbers(3))
    assert counters(exact, "sent", "country_limit", "cost") == (3, 0, 3)
    beyond = await post_send(client, customer, fmt, *fr_numbers(2, 10), BE)
    assert int(beyond["status"]) == 1
    assert counters(beyond, "total", "sent", "country_limit", "cost", "credits") == (
        3,
        1,
        2,
        1,
        96,
    )
    usage = await fetch_value(platform, select(country_usage.c.messages))
    assert usage == 3
    assert await assert_balance_is_ledger(platform, customer.account.id) == 96


async def test_concurrent_sends_over_http_never_exceed_the_cap(client, customer, platform):
    await account_policy.set_country_cap(
        platform, actor="op", account_id=customer.account.id, country="FR", monthly_limit=7
    )
    numbers = fr_numbers(30)
    replies = await asyncio.gather(
        *(
            client.get("/send", params={"to": n, "text": "Hi"}, headers=customer.bearer)
            for n in numbers
        )
    )
    bodies = [r.json() for r in replies]
    assert all(b["status"] == 1 for b in bodies)
    assert sum(b["sent"] for b in bodies) == 7
    assert sum(b["country_limit"] for b in bodies) == 23
    assert await fetch_value(platform, select(func.count()).select_from(messages)) == 7
    assert await assert_balance_is_ledger(platform, customer.account.id) == 93


async def test_cancel_gives_back_the_cap(client, customer, platform):
    await account_policy.set_country_cap(
        platform, actor="op", account_id=customer.account.id, country="FR", monthly_limit=2
    )
    body = json_body(*fr_numbers(2), delay=LATER)
    ticket = (await client.post("/send", json=body, headers=customer.bearer)).json()["ticket"]
    cancel = await client.delete(f"/send/{ticket}", headers=customer.bearer)
    assert cancel.json() == {"status": 1, "message": "OK", "credits": 100}
    again = await post_send(client, customer, "json", *fr_numbers(2, 10))
    assert counters(again, "sent", "country_limit") == (2, 0)


# --- default sender ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_account_default_sender_applies_when_the_request_has_none(
    client, customer, platform, fmt
):
    await account_policy.set_default_sender(
        platform, actor="op", account_id=customer.account.id, sender="MyShop"
    )
    fields = await post_send(client, customer, fmt, FR)
    sender = await fetch_value(
        platform, select(campaigns.c.sender).where(campaigns.c.id == int(fields["ticket"]))
    )
    assert sender == "MyShop"
    reply = await client.get(
        "/send", params={"to": FR, "text": "Hi", "sender": "Other"}, headers=customer.bearer
    )
    explicit = await fetch_value(
        platform, select(campaigns.c.sender).where(campaigns.c.id == int(reply.json()["ticket"]))
    )
    assert explicit == "Other"
    campaign = (await client.get(f"/campaign/{fields['ticket']}", headers=customer.bearer)).json()
    assert campaign["campaign"][0]["sender"] == "MyShop"


# --- moderation ----------------------------------------------------------------------------


async def hold_casino(platform, account_id: int | None = None) -> None:
    await account_policy.add_moderation_rule(
        platform, actor="op", account_id=account_id, kind="word", value="casino"
    )


async def test_moderated_send_answers_minus_8_with_every_success_field_json(
    client, customer, platform
):
    await hold_casino(platform)
    reply = await client.post(
        "/send", json=json_body(FR, "33612345679", text="Casino night"), headers=customer.bearer
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body == {
        "status": -8,
        "message": MODERATION_MESSAGE,
        "ticket": body["ticket"],
        "cost": 2,
        "credits": 98,
        "total": 2,
        "sent": 2,
        "blacklisted": 0,
        "duplicated": 0,
        "npai": 0,
        "invalid": 0,
        "not_allowed": 0,
        "flood": 0,
        "country_limit": 0,
    }
    assert list(body)[:2] == ["status", "message"]
    assert body["ticket"].isdigit()
    statuses = await fetch_all(platform, select(messages.c.status))
    assert [r[0] for r in statuses] == ["held", "held"]


async def test_moderated_send_answers_minus_8_with_every_success_field_xml(
    client, customer, platform
):
    await hold_casino(platform)
    fields = await post_send(client, customer, "xml", FR, text="casino")
    assert list(fields)[:3] == ["status", "message", "ticket"]
    assert fields["status"] == "-8"
    assert fields["message"] == MODERATION_MESSAGE
    assert set(fields) == {"status", "message", "ticket", *COUNTERS}
    assert counters(fields, "cost", "credits", "sent") == (1, 99, 1)


async def test_moderated_single_send_answers_minus_8(client, customer, platform):
    await hold_casino(platform)
    reply = await client.get("/send", params={"to": FR, "text": "CASINO!"}, headers=customer.bearer)
    body = reply.json()
    assert (body["status"], body["sent"], body["cost"]) == (-8, 1, 1)
    assert body["ticket"]


async def test_simulating_a_moderated_text_answers_ok(client, customer, platform):
    await hold_casino(platform)
    fields = await post_send(client, customer, "json", FR, text="casino", path="/send/simulate")
    assert fields["status"] == 1


@pytest.mark.parametrize("fmt", ["json", "xml"])
async def test_campaign_in_moderation_shows_its_status(client, customer, platform, fmt):
    await hold_casino(platform)
    ticket = (await post_send(client, customer, "json", FR, text="casino"))["ticket"]
    headers = {**customer.bearer, "Accept": f"application/{fmt}"}
    one = await client.get(f"/campaign/{ticket}", headers=headers)
    listed = await client.get("/campaigns", headers=headers)
    if fmt == "json":
        assert one.json()["campaign"][0]["status"] == "Moderation"
        assert listed.json()["campaigns"][0]["status"] == "Moderation"
    else:
        assert ElementTree.fromstring(one.content).findtext("campaign/status") == "Moderation"
        assert ElementTree.fromstring(listed.content).findtext("campaigns/status") == "Moderation"


async def test_approved_campaign_goes_out(client, customer, platform):
    await hold_casino(platform)
    ticket = int((await post_send(client, customer, "json", FR, text="casino"))["ticket"])
    await moderation.approve(platform, actor="op:mod", campaign_id=ticket)
    assert await fetch_value(platform, select(campaigns.c.status)) == "queued"
    assert [r[0] for r in await fetch_all(platform, select(messages.c.status))] == ["queued"]
    [entry] = await audit_actions(platform, "moderation.approve")
    assert (entry.actor, entry.account_id, entry.details["campaign_id"]) == (
        "op:mod",
        customer.account.id,
        ticket,
    )
    campaign = (await client.get(f"/campaign/{ticket}", headers=customer.bearer)).json()
    assert campaign["campaign"][0]["status"] == "Sending"


async def test_refused_campaign_is_refunded_in_full(client, customer, platform):
    await hold_casino(platform)
    fields = await post_send(client, customer, "json", FR, "33612345679", text="casino")
    ticket = int(fields["ticket"])
    assert fields["credits"] == 98
    await moderation.refuse(platform, actor="op:mod", campaign_id=ticket)
    credits = (await client.get("/credits", headers=customer.bearer)).json()["credits"]
    assert credits == "100"
    assert await assert_balance_is_ledger(platform, customer.account.id) == 100
    refunds = await fetch_all(
        platform,
        select(credit_ledger.c.amount, credit_ledger.c.campaign_id).where(
            credit_ledger.c.reason == "refund"
        ),
    )
    assert [tuple(r) for r in refunds] == [(2, ticket)]
    statuses = await fetch_all(platform, select(messages.c.status))
    assert [r[0] for r in statuses] == ["cancelled", "cancelled"]
    [entry] = await audit_actions(platform, "moderation.refuse")
    assert entry.details["refunded"] == 2
    campaign = (await client.get(f"/campaign/{ticket}", headers=customer.bearer)).json()
    assert campaign["campaign"][0]["status"] == "Refused"
    again = await client.delete(f"/send/{ticket}", headers=customer.bearer)
    assert again.json()["status"] == -7


async def test_customer_cancel_of_a_held_campaign_refunds_it(client, customer, platform):
    await hold_casino(platform)
    ticket = (await post_send(client, customer, "json", FR, text="casino"))["ticket"]
    cancel = await client.delete(f"/send/{ticket}", headers=customer.bearer)
    assert cancel.json() == {"status": 1, "message": "OK", "credits": 100}
    assert await fetch_value(platform, select(campaigns.c.status)) == "cancelled"
    assert await assert_balance_is_ledger(platform, customer.account.id) == 100
    assert await moderation.moderation_queue(platform) == []
