"""A campaign's history: GET /campaign/:id (lists, STOP and NPAI counts), its STOPs
(GET /campaign/:id/blacklist), its NPAI (GET and PUT /campaign/:id/npai), its replies
(GET /campaign/:id/mo), and every filter and sort of GET /campaigns; in JSON and XML, and
never across accounts."""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest
from sqlalchemy import select
from tests.services.test_opt_outs import list_campaign, receipts, submit
from tests.support import fetch_all, make_customer

from relais.core.status import MessageStatus
from relais.services import tokens
from relais.services.delivery_reports import record_inbound
from relais.store.tables import npai

XML = {"Accept": "application/xml"}
ANNA = "33612345678"
BRUNO = "33612345677"
CHLOE = "33612345676"
NOON = datetime(2031, 3, 4, 11, 0, tzinfo=UTC)  # 12:00 in Paris


async def history(platform, shop) -> tuple[int, dict[str, int]]:
    """A list campaign to Anna (invalid destination), Bruno and Chloé (delivered); Chloé
    answered STOP and Bruno "Merci"; its ticket and contact ids."""
    ticket, contact_ids = await list_campaign(
        platform,
        shop,
        {
            ANNA: ("Anna", "Arendt", None, None),
            BRUNO: ("Bruno", None, None, None),
            CHLOE: ("Chloé", "Zhao", "1982", "Pékin"),
        },
    )
    ids = await submit(platform)
    await receipts(
        platform,
        ids,
        {
            ANNA: MessageStatus.INVALID_DESTINATION,
            BRUNO: MessageStatus.DELIVERED,
            CHLOE: MessageStatus.DELIVERED,
        },
    )
    at = int(NOON.timestamp() * 1000)
    await record_inbound(
        platform,
        messages=[
            ("simulator", CHLOE, "36000", "STOP", at),
            ("simulator", BRUNO, "36000", "Merci !", at + 1000),
        ],
    )
    return ticket, contact_ids


async def get(client, customer, path: str, **params) -> dict:
    reply = await client.get(path, params=params, headers=customer.bearer)
    assert reply.status_code == 200
    return reply.json()


# --- GET /campaign/:id ---------------------------------------------------------------------


async def test_campaign_details_show_lists_stops_and_npai_from_real_data(
    client, customer, platform
):
    ticket, _ = await history(platform, customer)
    details = (await get(client, customer, f"/campaign/{ticket}"))["campaign"][0]
    list_id = details["lists"][0]["id"]
    assert details["lists"] == [{"id": list_id}] and list_id.isdigit()
    assert (details["stop"], details["npai"]) == ("1", "1")
    assert (details["delivered"], details["error"], details["total"]) == ("2", "1", "3")
    assert details["status"] == "Sent"
    listed = (await get(client, customer, "/campaigns"))["campaigns"][0]
    assert (listed["lists"], listed["stop"], listed["npai"]) == ([{"id": list_id}], "1", "1")
    reply = await client.get(f"/campaign/{ticket}", headers={**customer.bearer, **XML})
    campaign = ElementTree.fromstring(reply.content).find("campaign")
    assert [e.find("id").text for e in campaign.findall("lists")] == [list_id]
    assert (campaign.find("stop").text, campaign.find("npai").text) == ("1", "1")


async def test_a_plain_send_has_no_lists_and_zero_counts(client, customer):
    reply = await client.get("/send", params={"to": ANNA, "text": "Hi"}, headers=customer.bearer)
    details = (await get(client, customer, f"/campaign/{reply.json()['ticket']}"))["campaign"][0]
    assert (details["lists"], details["stop"], details["npai"]) == ([], "0", "0")


# --- GET /campaign/:id/blacklist ------------------------------------------------------------


async def test_campaign_blacklist_lists_the_stops_answering_it(client, customer, platform):
    ticket, _ = await history(platform, customer)
    # A STOP answering another campaign is that campaign's.
    other = await client.get("/send", params={"to": ANNA, "text": "x"}, headers=customer.bearer)
    await record_inbound(platform, messages=[("simulator", ANNA, "36000", "STOP", 5)])
    body = await get(client, customer, f"/campaign/{ticket}/blacklist")
    assert body == {
        "status": 1,
        "message": "OK",
        "stops": [
            {
                "destination": CHLOE,
                "info1": "Chloé",
                "info2": "Zhao",
                "info3": "1982",
                "info4": "Pékin",
                "date": "2031-03-04 12:00:00",
            }
        ],
    }
    theirs = await get(client, customer, f"/campaign/{other.json()['ticket']}/blacklist")
    assert [s["destination"] for s in theirs["stops"]] == [ANNA]
    assert theirs["stops"][0]["info1"] is None


async def test_campaign_blacklist_in_xml(client, customer, platform):
    ticket, _ = await history(platform, customer)
    reply = await client.get(f"/campaign/{ticket}/blacklist", headers={**customer.bearer, **XML})
    root = ElementTree.fromstring(reply.content)
    stops = root.findall("stops")
    assert [(s.find("destination").text, s.find("info4").text) for s in stops] == [(CHLOE, "Pékin")]
    assert stops[0].find("date").text == "2031-03-04 12:00:00"


# --- GET and PUT /campaign/:id/npai -----------------------------------------------------------


async def test_campaign_npai_lists_its_invalid_destinations(client, customer, platform):
    ticket, _ = await history(platform, customer)
    body = await get(client, customer, f"/campaign/{ticket}/npai")
    assert [(e["destination"], e["info1"], e["info2"], e["info3"]) for e in body["npai"]] == [
        (ANNA, "Anna", "Arendt", None)
    ]
    assert set(body["npai"][0]) == {"destination", "info1", "info2", "info3", "info4", "date"}
    reply = await client.get(f"/campaign/{ticket}/npai", headers={**customer.bearer, **XML})
    entries = ElementTree.fromstring(reply.content).findall("npai")
    assert [e.find("destination").text for e in entries] == [ANNA]


async def test_put_campaign_npai_adds_them_to_the_npai_list_once(client, customer, platform):
    ticket, _ = await history(platform, customer)
    reply = await client.put(f"/campaign/{ticket}/npai", headers=customer.bearer)
    assert reply.json() == {"status": 1, "message": "OK"}
    again = await client.put(f"/campaign/{ticket}/npai", headers={**customer.bearer, **XML})
    assert ElementTree.fromstring(again.content).find("status").text == "1"
    rows = await fetch_all(
        platform,
        select(npai.c.account_id, npai.c.destination, npai.c.origin, npai.c.campaign_id),
    )
    assert [tuple(r) for r in rows] == [(customer.account.id, ANNA, "receipt", ticket)]
    listed = (await get(client, customer, "/npai"))["list"]
    assert [(e["destination"], e["info1"], e["campaign_id"]) for e in listed] == [
        (ANNA, "Anna", str(ticket))
    ]
    # Still the campaign's NPAI afterwards: the view shows what the receipts said.
    body = await get(client, customer, f"/campaign/{ticket}/npai")
    assert [e["destination"] for e in body["npai"]] == [ANNA]


async def test_put_campaign_npai_without_invalid_destinations_adds_nothing(
    client, customer, platform
):
    reply = await client.get("/send", params={"to": ANNA, "text": "Hi"}, headers=customer.bearer)
    ticket = reply.json()["ticket"]
    put = await client.put(f"/campaign/{ticket}/npai", headers=customer.bearer)
    assert put.json() == {"status": 1, "message": "OK"}
    assert (await get(client, customer, f"/campaign/{ticket}/npai"))["npai"] == []
    assert await fetch_all(platform, select(npai)) == []


# --- GET /campaign/:id/mo -----------------------------------------------------------------------


async def test_campaign_mo_lists_the_replies_that_are_not_stops(client, customer, platform):
    ticket, _ = await history(platform, customer)
    body = await get(client, customer, f"/campaign/{ticket}/mo")
    assert body == {
        "status": 1,
        "message": "OK",
        "mo": [{"destination": BRUNO, "message": "Merci !", "date": "2031-03-04 12:00:01"}],
    }
    reply = await client.get(f"/campaign/{ticket}/mo", headers={**customer.bearer, **XML})
    mo = ElementTree.fromstring(reply.content).findall("mo")
    assert [(e.find("destination").text, e.find("message").text) for e in mo] == [
        (BRUNO, "Merci !")
    ]


async def test_a_reply_to_a_later_campaign_is_that_campaigns(client, customer, platform):
    ticket, _ = await history(platform, customer)
    later = await client.get("/send", params={"to": BRUNO, "text": "x"}, headers=customer.bearer)
    await record_inbound(platform, messages=[("simulator", BRUNO, "36000", "Encore", 9)])
    first = await get(client, customer, f"/campaign/{ticket}/mo")
    assert [m["message"] for m in first["mo"]] == ["Merci !"]
    second = await get(client, customer, f"/campaign/{later.json()['ticket']}/mo")
    assert [m["message"] for m in second["mo"]] == ["Encore"]


# --- other accounts ------------------------------------------------------------------------------

CAMPAIGN_VIEWS = [
    ("GET", "/campaign/{}/blacklist"),
    ("GET", "/campaign/{}/npai"),
    ("PUT", "/campaign/{}/npai"),
    ("GET", "/campaign/{}/mo"),
    ("GET", "/campaign/{}"),
]


@pytest.mark.parametrize(("method", "path"), CAMPAIGN_VIEWS)
async def test_campaign_views_of_another_account_are_not_found(
    client, customer, platform, method, path
):
    ticket, _ = await history(platform, customer)
    other = await make_customer(platform, email="other@example.com")
    for campaign in (ticket, 999999, "abc", 0):
        reply = await client.request(method, path.format(campaign), headers=other.bearer)
        assert reply.status_code == 200
        assert reply.json()["status"] == -5, campaign
    assert await fetch_all(platform, select(npai)) == []


async def test_a_parent_does_not_see_its_sub_accounts_campaign_views(client, customer, platform):
    created = await client.post(
        "/account",
        json={
            "account": {
                "email": "child@example.com",
                "password": "test987654",
                "isChild": 1,
                "unlimited": 1,
            }
        },
        headers=customer.bearer,
    )
    token = await tokens.create_token(platform, account_id=created.json()["id"])
    child = {"Authorization": f"Bearer {token.value}"}
    reply = await client.get("/send", params={"to": ANNA, "text": "Hi"}, headers=child)
    ticket = reply.json()["ticket"]
    assert (await client.get(f"/campaign/{ticket}/mo", headers=child)).json()["status"] == 1
    for path in (f"/campaign/{ticket}/mo", f"/campaign/{ticket}/blacklist"):
        assert (await client.get(path, headers=customer.bearer)).json()["status"] == -5


# --- GET /campaigns ------------------------------------------------------------------------------


async def send_at(client, customer, numbers: list[str], text: str, delay: str | None) -> str:
    message = {"text": text, **({"delay": delay} if delay else {})}
    body = {"sms": {"message": message, "recipients": {"gsm": [{"value": n} for n in numbers]}}}
    reply = await client.post("/send", json=body, headers=customer.bearer)
    assert reply.json()["status"] == 1, reply.json()
    return reply.json()["ticket"]


@pytest.fixture
def noon(platform):
    platform.clock = lambda: NOON
    return NOON


async def ids(client, customer, **params) -> list[str]:
    body = await get(client, customer, "/campaigns", **params)
    assert body["status"] == 1, body
    return [c["id"] for c in body["campaigns"]]


async def test_campaigns_filter_on_a_destination_in_any_form(client, customer, platform, noon):
    to_anna = await send_at(client, customer, [ANNA, BRUNO], "one", None)
    to_bruno = await send_at(client, customer, [BRUNO], "two", None)
    both = await send_at(client, customer, [CHLOE, ANNA], "three", None)
    other = await make_customer(platform, email="other@example.com")
    await send_at(client, other, [ANNA], "theirs", None)
    assert await ids(client, customer, destination=ANNA) == [both, to_anna]
    assert await ids(client, customer, destination="06 12 34 56 78") == [both, to_anna]
    assert await ids(client, customer, destination="+33612345677") == [to_bruno, to_anna]
    body = await get(client, customer, "/campaigns", destination="0611111111")
    assert (body["campaigns"], body["totalRecords"], body["totalDisplayRecords"]) == ([], 3, 0)
    assert await ids(client, customer, destination="nonsense") == []


async def test_campaigns_filter_on_send_date_not_creation_date(client, customer, noon):
    now = await send_at(client, customer, [ANNA], "now", None)
    in_two_days = await send_at(client, customer, [ANNA], "later", "2031-03-06 09:30:00")
    in_a_week = await send_at(client, customer, [ANNA], "much later", "2031-03-11 08:00:00")
    assert await ids(client, customer, date_start="2031-03-05 00:00:00") == [
        in_a_week,
        in_two_days,
    ]
    assert await ids(client, customer, date_end="2031-03-06 09:29:59") == [now]
    assert await ids(
        client, customer, date_start="2031-03-06 09:30:00", date_end="2031-03-06 09:30:00"
    ) == [in_two_days]
    body = await get(client, customer, "/campaigns", date_start="2031-03-05 00:00:00")
    assert body["campaigns"][0]["date"] == "2031-03-11 08:00:00"
    assert body["campaigns"][0]["creation_date"] == "2031-03-04 12:00:00"
    for bad in ("2031-13-01 00:00:00", "yesterday", "04/03/2031"):
        reply = await client.get("/campaigns", params={"date_start": bad}, headers=customer.bearer)
        assert reply.json()["status"] == -7, bad


async def test_campaigns_filter_on_number_of_messages(client, customer, noon):
    one = await send_at(client, customer, [ANNA], "a", None)
    two = await send_at(client, customer, [ANNA, BRUNO], "b", None)
    three = await send_at(client, customer, [ANNA, BRUNO, CHLOE], "c", None)
    assert await ids(client, customer, sms_min=2) == [three, two]
    assert await ids(client, customer, sms_max=2) == [two, one]
    assert await ids(client, customer, sms_min=2, sms_max=2) == [two]
    assert (
        await client.get("/campaigns", params={"sms_min": "x"}, headers=customer.bearer)
    ).json()["status"] == -7


async def test_campaigns_sort_keys_in_both_directions(client, customer, noon):
    b = await send_at(client, customer, [ANNA, BRUNO], "bravo", "2031-03-07 10:00:00")
    a = await send_at(client, customer, [ANNA], "alpha", "2031-03-09 10:00:00")
    c = await send_at(client, customer, [ANNA, BRUNO, CHLOE], "charlie", None)
    assert await ids(client, customer) == [c, a, b]  # default -id
    assert await ids(client, customer, sort="id") == [b, a, c]
    assert await ids(client, customer, sort="date") == [c, b, a]
    assert await ids(client, customer, sort="-date") == [a, b, c]
    assert await ids(client, customer, sort="text") == [a, b, c]
    assert await ids(client, customer, sort="-text") == [c, b, a]
    assert await ids(client, customer, sort="cost") == [a, b, c]
    assert await ids(client, customer, sort="-cost") == [c, b, a]
    assert await ids(client, customer, sort="status") == [c, b, a]  # queued < scheduled
    assert await ids(client, customer, sort="-status", length=1, start=1) == [b]
    for bad in ("name", "--id", "+id"):
        reply = await client.get("/campaigns", params={"sort": bad}, headers=customer.bearer)
        assert reply.json()["status"] == -7, bad


async def test_campaigns_xml_shows_destination_filtered_campaigns(client, customer, noon):
    ticket = await send_at(client, customer, [ANNA], "x", None)
    await send_at(client, customer, [BRUNO], "y", None)
    reply = await client.get(
        "/campaigns", params={"destination": ANNA}, headers={**customer.bearer, **XML}
    )
    root = ElementTree.fromstring(reply.content)
    assert [c.find("id").text for c in root.findall("campaigns")] == [ticket]
    assert (root.find("totalRecords").text, root.find("totalDisplayRecords").text) == ("2", "1")
