"""GET /metrics/consumption: credits spent on messages by destination country over Paris
days, the caller's own sends only, cancelled campaigns excluded."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree

from tests.support import make_customer

from relais.core.schedule import PARIS
from relais.services import campaigns, credits
from relais.services.sending.numbers import Recipient, Submission, send

FR = ["33612345678", "33612345677", "33612345676"]
US = "12025550123"


def at(platform, day: str, hour: str) -> None:
    moment = datetime.fromisoformat(f"{day}T{hour}").replace(tzinfo=PARIS)
    platform.clock = lambda: moment


async def send_to(platform, customer, numbers, delay=None) -> int:
    report = await send(
        platform,
        account=customer.account,
        submission=Submission("Hello", [Recipient(n) for n in numbers], delay=delay),
    )
    assert report.ticket is not None
    return report.ticket


async def consumption(client, customer, query: str, **headers) -> dict:
    reply = await client.get(
        f"/metrics/consumption?{query}", headers={**customer.bearer, **headers}
    )
    assert reply.status_code == 200
    return reply.json() if "xml" not in reply.headers["content-type"] else reply


async def history(platform, customer) -> None:
    """Sends around 2026-03-10 .. 2026-03-12 (Paris): FR costs 1, US costs 2 per part."""
    await credits.set_price(platform, actor="test", country="US", credits_per_part=2)
    at(platform, "2026-03-09", "23:59:00")  # the day before the window
    await send_to(platform, customer, FR[:1])
    at(platform, "2026-03-10", "00:00:00")  # first instant of the window
    await send_to(platform, customer, [*FR[:2], US])
    at(platform, "2026-03-10", "12:00:00")
    await send_to(platform, customer, FR[:1], delay="2026-03-11 09:00:00")  # counted
    cancelled = await send_to(platform, customer, FR, delay="2026-03-11 10:00:00")
    await campaigns.cancel_campaign(platform, account=customer.account, campaign_id=cancelled)
    at(platform, "2026-03-12", "23:59:00")  # last minute of the window
    await send_to(platform, customer, FR[2:])
    at(platform, "2026-03-13", "00:00:00")  # the day after
    await send_to(platform, customer, [US])


WINDOW = "date_start=2026-03-10&date_end=2026-03-12"


async def test_consumption_totals_by_country(client, customer, platform):
    await history(platform, customer)
    reply = await consumption(client, customer, WINDOW)
    assert reply == {
        "status": 1,
        "message": "OK",
        "data": {
            "total": 6,
            "by_country": {"FR": 4, "US": 2},
            "my_account": {
                "account_id": customer.account.id,
                "company": "",
                "conso": {"total": 6, "by_country": {"FR": 4, "US": 2}},
            },
            "by_sub_accounts": [],
        },
    }


async def test_consumption_date_window(client, customer, platform):
    await history(platform, customer)
    one_day = await consumption(client, customer, "date_start=2026-03-13&date_end=2026-03-13")
    assert one_day["data"]["by_country"] == {"US": 2}
    before = await consumption(client, customer, "date_start=2026-03-09&date_end=2026-03-09")
    assert before["data"]["total"] == 1
    everything = await consumption(client, customer, "date_start=2026-01-01&date_end=2026-12-31")
    assert everything["data"]["by_country"] == {"FR": 5, "US": 4}
    empty = await consumption(client, customer, "date_start=2025-01-01&date_end=2025-12-31")
    assert empty["data"]["total"] == 0 and empty["data"]["by_country"] == {}
    assert empty["data"]["my_account"]["conso"] == {"total": 0, "by_country": {}}


async def test_consumption_country_filter(client, customer, platform):
    await history(platform, customer)
    only_fr = await consumption(client, customer, f"{WINDOW}&country=FR")
    assert only_fr["data"]["total"] == 4 and only_fr["data"]["by_country"] == {"FR": 4}
    both = await consumption(client, customer, f"{WINDOW}&country=fr,%20US,CH")
    assert both["data"]["by_country"] == {"FR": 4, "US": 2}
    none = await consumption(client, customer, f"{WINDOW}&country=CH")
    assert none["data"]["total"] == 0


async def test_consumption_never_counts_another_account(client, customer, platform):
    other = await make_customer(platform, email="other@example.com")
    at(platform, "2026-03-10", "10:00:00")
    await send_to(platform, other, FR)
    mine = await consumption(client, customer, WINDOW)
    assert mine["data"]["total"] == 0
    theirs = await consumption(client, other, WINDOW)
    assert theirs["data"]["total"] == 3
    assert theirs["data"]["my_account"]["account_id"] == other.account.id


async def test_consumption_bad_parameters(client, customer, platform):
    cases = {
        "": -7,
        "date_start=2026-03-10": -7,
        "date_end=2026-03-10": -7,
        "date_start=2026-3-10&date_end=2026-03-12": -7,
        "date_start=2026-02-30&date_end=2026-03-12": -7,
        "date_start=10/03/2026&date_end=2026-03-12": -7,
        "date_start=2026-03-12&date_end=2026-03-10": -7,
        f"{WINDOW}&country=FRA": -7,
        f"{WINDOW}&sub_account_id=abc": -7,
        f"{WINDOW}&sub_account_id=99": -5,
    }
    for query, status in cases.items():
        reply = await consumption(client, customer, query)
        assert reply["status"] == status, query


async def test_consumption_without_credentials_is_minus_1(client):
    reply = await client.get(f"/metrics/consumption?{WINDOW}")
    assert reply.json()["status"] == -1


async def test_consumption_in_xml(client, customer, platform):
    await history(platform, customer)
    reply = await consumption(client, customer, WINDOW, Accept="application/xml")
    root = ElementTree.fromstring(reply.content)
    assert root.findtext("status") == "1"
    assert root.findtext("data/total") == "6"
    assert root.findtext("data/by_country/FR") == "4"
    assert root.findtext("data/by_country/US") == "2"
    assert root.findtext("data/my_account/account_id") == str(customer.account.id)
    assert root.findtext("data/my_account/conso/by_country/US") == "2"


async def test_consumption_reports_each_sub_account_beside_the_parent(client, customer, platform):
    from relais.services import accounts, sub_accounts, tokens

    at(platform, "2026-03-11", "10:00:00")
    await sub_accounts.open_account(
        platform,
        caller=customer.account,
        email="shop2@example.com",
        password="secret1",
        child=True,
        unlimited=True,
    )
    child = await accounts.find_account(platform, email="shop2@example.com")
    await send(platform, account=child, submission=Submission("Hi", [Recipient(US)]))
    await send_to(platform, customer, FR[:1])
    data = (await consumption(client, customer, WINDOW))["data"]
    assert data["total"] == 2
    assert data["by_country"] == {"FR": 1, "US": 1}
    assert data["my_account"]["conso"] == {"total": 1, "by_country": {"FR": 1}}
    assert data["by_sub_accounts"] == [
        {"account_id": child.id, "company": "", "conso": {"total": 1, "by_country": {"US": 1}}}
    ]
    only = (await consumption(client, customer, f"{WINDOW}&sub_account_id={child.id}"))["data"]
    assert [s["account_id"] for s in only["by_sub_accounts"]] == [child.id]
    # A sub-account sees its own consumption, never its parent's.
    token = (await tokens.create_token(platform, account_id=child.id)).value
    mine = await client.get(
        f"/metrics/consumption?{WINDOW}", headers={"Authorization": f"Bearer {token}"}
    )
    assert mine.json()["data"]["total"] == 1
    assert mine.json()["data"]["by_sub_accounts"] == []
