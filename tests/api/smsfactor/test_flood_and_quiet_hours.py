"""Delivery rules as SMSFactor clients see them, in JSON and XML: the `npai` and `flood`
counters of the send reply, the STOP notice in the reply's cost, and marketing sends held
until the marketing window opens (Saturday 19:59 vs 20:00, a Sunday, 14 July, Easter Monday)
while alert traffic never is."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select
from tests.support import fetch_value

from relais.core.schedule import PARIS
from relais.services import opt_outs
from relais.services.opt_outs import OptOutContact
from relais.store.tables import campaigns, messages

MOBILE = "33612345678"
XML = {"Accept": "application/xml"}
TUESDAY = datetime(2026, 7, 7, 10, 0, tzinfo=PARIS)


def xml_fields(content: bytes) -> dict[str, str]:
    root = ElementTree.fromstring(content)
    assert root.tag == "response"
    return {child.tag: (child.text or "") for child in root}


def at(platform, moment: datetime) -> None:
    platform.clock = lambda: moment


async def stored_counts(platform) -> tuple[int, int]:
    return (
        await fetch_value(platform, select(func.count()).select_from(campaigns)),
        await fetch_value(platform, select(func.count()).select_from(messages)),
    )


# --- counters -------------------------------------------------------------------------------


async def test_flooded_single_send_answers_flood_and_costs_nothing(client, customer, platform):
    at(platform, TUESDAY)
    platform.settings = replace(platform.settings, flood_per_hour=1, flood_same_text_per_hour=0)
    first = await client.get("/send", params={"to": MOBILE, "text": "a"}, headers=customer.bearer)
    assert (first.json()["sent"], first.json()["flood"]) == (1, 0)
    second = await client.get("/send", params={"to": MOBILE, "text": "b"}, headers=customer.bearer)
    answer = second.json()
    assert (answer["status"], answer["sent"], answer["flood"], answer["cost"]) == (1, 0, 1, 0)
    assert answer["credits"] == 99
    xml = await client.get(
        "/send", params={"to": MOBILE, "text": "c"}, headers={**XML, **customer.bearer}
    )
    fields = xml_fields(xml.content)
    assert (fields["status"], fields["flood"], fields["cost"]) == ("1", "1", "0")
    simulated = await client.get(
        "/send/simulate", params={"to": MOBILE, "text": "d"}, headers=customer.bearer
    )
    assert simulated.json()["flood"] == 1
    assert await stored_counts(platform) == (3, 1)


async def test_npai_numbers_are_counted_in_the_campaign_reply(client, customer, platform):
    await opt_outs.add_opt_outs(
        platform, account=customer.account, kind="npai", contacts=[OptOutContact(MOBILE)]
    )
    payload = {
        "sms": {
            "message": {"text": "Hi"},
            "recipients": {"gsm": [{"value": MOBILE}, {"value": "33612345677"}]},
        }
    }
    answer = (await client.post("/send", json=payload, headers=customer.bearer)).json()
    assert (answer["npai"], answer["sent"], answer["cost"]) == (1, 1, 1)
    xml = (
        f"<sms><message><text>Hi</text></message><recipients><gsm>{MOBILE}</gsm></recipients></sms>"
    )
    reply = await client.post(
        "/send",
        content=xml,
        headers={**XML, "Content-Type": "application/xml", **customer.bearer},
    )
    fields = xml_fields(reply.content)
    assert (fields["npai"], fields["sent"], fields["cost"]) == ("1", "0", "0")


# --- STOP notice ----------------------------------------------------------------------------


async def test_marketing_reply_cost_includes_the_stop_notice(client, customer, platform):
    at(platform, TUESDAY)
    text = "y" * 150
    alert = await client.get("/send", params={"to": MOBILE, "text": text}, headers=customer.bearer)
    marketing = await client.get(
        "/send",
        params={"to": "33612345677", "text": text, "pushtype": "marketing"},
        headers=customer.bearer,
    )
    assert (alert.json()["cost"], marketing.json()["cost"]) == (1, 2)
    shown = await client.get(f"/campaign/{marketing.json()['ticket']}", headers=customer.bearer)
    assert shown.json()["campaign"][0]["text"].endswith("\nSTOP au 36179")


async def test_a_notice_over_max_parts_is_a_data_error_storing_nothing(client, customer, platform):
    at(platform, TUESDAY)
    platform.settings = replace(platform.settings, max_parts=1)
    reply = await client.get(
        "/send",
        params={"to": MOBILE, "text": "y" * 150, "pushtype": "marketing"},
        headers={**XML, **customer.bearer},
    )
    fields = xml_fields(reply.content)
    assert fields["status"] == "-7"
    assert "STOP notice" in fields["details"]
    assert await stored_counts(platform) == (0, 0)


# --- marketing window -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "date", "state"),
    [
        (datetime(2026, 7, 11, 19, 59, tzinfo=PARIS), "2026-07-11 19:59:00", "Sending"),
        (datetime(2026, 7, 11, 20, 0, tzinfo=PARIS), "2026-07-13 08:00:00", "Scheduled"),
        (datetime(2026, 7, 12, 9, 0, tzinfo=PARIS), "2026-07-13 08:00:00", "Scheduled"),
        (datetime(2026, 7, 14, 9, 0, tzinfo=PARIS), "2026-07-15 08:00:00", "Scheduled"),
        (datetime(2026, 4, 6, 9, 0, tzinfo=PARIS), "2026-04-07 08:00:00", "Scheduled"),
    ],
)
async def test_marketing_send_is_held_until_the_window_opens_not_refused(
    client, customer, platform, now, date, state
):
    at(platform, now)
    reply = await client.get(
        "/send",
        params={"to": MOBILE, "text": "Promo", "pushtype": "marketing"},
        headers=customer.bearer,
    )
    assert (reply.json()["status"], reply.json()["sent"]) == (1, 1)
    shown = (
        await client.get(f"/campaign/{reply.json()['ticket']}", headers=customer.bearer)
    ).json()
    assert (shown["campaign"][0]["date"], shown["campaign"][0]["status"]) == (date, state)


async def test_marketing_campaign_in_xml_outside_the_window_is_scheduled(
    client, customer, platform
):
    at(platform, datetime(2026, 7, 12, 9, 0, tzinfo=PARIS))  # Sunday
    xml = (
        "<sms><message><text>Promo</text><pushtype>marketing</pushtype></message>"
        f"<recipients><gsm>{MOBILE}</gsm></recipients></sms>"
    )
    reply = await client.post(
        "/send", content=xml, headers={**XML, "Content-Type": "application/xml", **customer.bearer}
    )
    assert xml_fields(reply.content)["status"] == "1"
    assert await fetch_value(platform, select(campaigns.c.status)) == "scheduled"


async def test_alert_send_on_a_sunday_night_goes_out_at_once(client, customer, platform):
    at(platform, datetime(2026, 7, 12, 23, 30, tzinfo=PARIS))
    reply = await client.get(
        "/send", params={"to": MOBILE, "text": "Code 1234"}, headers=customer.bearer
    )
    shown = (
        await client.get(f"/campaign/{reply.json()['ticket']}", headers=customer.bearer)
    ).json()
    assert (shown["campaign"][0]["date"], shown["campaign"][0]["status"]) == (
        "2026-07-12 23:30:00",
        "Sending",
    )
