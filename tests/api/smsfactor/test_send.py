"""GET/POST /send and /send/simulate: every auth form, both formats, every error of §1.2."""

from __future__ import annotations

import json
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, fetch_value

from relais.store.tables import campaigns, credit_ledger, messages

MOBILE = "33612345678"


def campaign_body(*numbers: str, text: str = "Hello", **message) -> dict:
    return {
        "sms": {
            "message": {"text": text, **message},
            "recipients": {
                "gsm": [{"value": n, "gsmsmsid": f"id-{i}"} for i, n in enumerate(numbers)]
            },
        }
    }


async def stored_counts(platform) -> tuple[int, int]:
    return (
        await fetch_value(platform, select(func.count()).select_from(campaigns)),
        await fetch_value(platform, select(func.count()).select_from(messages)),
    )


def xml_fields(body: bytes) -> dict[str, str]:
    root = ElementTree.fromstring(body)
    assert root.tag == "response"
    return {child.tag: (child.text or "") for child in root}


async def test_send_single_with_bearer_answers_counters_as_integers(client, customer, platform):
    reply = await client.get("/send", params={"to": MOBILE, "text": "Hi"}, headers=customer.bearer)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    body = reply.json()
    assert body == {
        "status": 1,
        "message": "OK",
        "ticket": body["ticket"],
        "cost": 1,
        "credits": 99,
        "total": 1,
        "sent": 1,
        "blacklisted": 0,
        "duplicated": 0,
        "npai": 0,
        "invalid": 0,
        "not_allowed": 0,
        "flood": 0,
        "country_limit": 0,
    }
    assert isinstance(body["ticket"], str) and body["ticket"].isdigit()
    rows = await fetch_all(platform, select(messages.c.destination, messages.c.status))
    assert rows == [(MOBILE, "queued")]


async def test_send_single_with_token_query(client, customer):
    reply = await client.get("/send", params={"to": MOBILE, "text": "Hi", "token": customer.token})
    assert reply.json()["status"] == 1


async def test_send_single_with_legacy_sfusername_headers(client, customer):
    headers = {"sfusername": customer.email, "sfpassword": customer.password}
    reply = await client.get("/send", params={"to": MOBILE, "text": "Hi"}, headers=headers)
    assert reply.json()["status"] == 1


async def test_send_single_with_username_password_query(client, customer):
    params = {"to": MOBILE, "text": "Hi", "username": customer.email, "password": customer.password}
    reply = await client.get("/send", params=params)
    assert reply.json()["status"] == 1


async def test_send_campaign_with_body_authentication_credentials(client, customer):
    body = campaign_body(MOBILE)
    body["sms"]["authentication"] = {"username": customer.email, "password": customer.password}
    reply = await client.post("/send", json=body)
    assert reply.json()["status"] == 1


async def test_send_campaign_with_body_authentication_token(client, customer):
    body = campaign_body(MOBILE)
    body["sms"]["authentication"] = {"token": customer.token}
    reply = await client.post("/send", json=body)
    assert reply.json()["status"] == 1


async def test_send_campaign_as_form_data_field(client, customer):
    body = campaign_body(MOBILE, "33612345677")
    body["sms"]["authentication"] = {"username": customer.email, "password": customer.password}
    reply = await client.post(
        "/send",
        content=urlencode({"data": json.dumps(body)}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.json()["sent"] == 2


async def test_send_campaign_xml_in_and_out_keeps_gsmsmsid(client, customer, platform):
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?><sms><message><text>Message via API</text>'
        "<pushtype>alert</pushtype><sender>Illidan</sender></message><recipients>"
        f'<gsm gsmsmsid="100">{MOBILE}</gsm><gsm gsmsmsid="101">33612345677</gsm>'
        "</recipients></sms>"
    )
    reply = await client.post(
        "/send",
        content=xml,
        headers={**customer.bearer, "Content-Type": "application/xml", "Accept": "application/xml"},
    )
    assert reply.headers["content-type"].startswith("application/xml")
    fields = xml_fields(reply.content)
    assert fields["status"] == "1"
    assert fields["sent"] == "2"
    assert fields["cost"] == "2"
    assert set(fields) >= {"ticket", "credits", "total", "blacklisted", "country_limit"}
    rows = await fetch_all(platform, select(messages.c.gsmsmsid).order_by(messages.c.id))
    assert [r[0] for r in rows] == ["100", "101"]
    sender = await fetch_value(platform, select(campaigns.c.sender))
    assert sender == "Illidan"


async def test_reply_is_xml_when_accept_is_absent(client, customer):
    reply = await client.get(
        "/send", params={"to": MOBILE, "text": "Hi"}, headers={**customer.bearer, "Accept": ""}
    )
    assert reply.headers["content-type"].startswith("application/xml")
    assert xml_fields(reply.content)["status"] == "1"


async def test_single_xml_recipient_without_attributes(client, customer):
    xml = (
        f"<sms><message><text>Hi</text></message><recipients><gsm>{MOBILE}</gsm></recipients></sms>"
    )
    reply = await client.post(
        "/send", content=xml, headers={**customer.bearer, "Content-Type": "application/xml"}
    )
    assert reply.json()["sent"] == 1


async def test_invalid_and_duplicate_recipients_are_counted_not_charged(client, customer):
    numbers = [MOBILE, "+33612345678", "0612345678", "0033612345678", "12", "33612345677"]
    reply = await client.post("/send", json=campaign_body(*numbers), headers=customer.bearer)
    body = reply.json()
    assert (body["total"], body["sent"], body["duplicated"], body["invalid"]) == (6, 2, 3, 1)
    assert body["cost"] == 2
    assert body["credits"] == 98


async def test_non_geographic_numbers_are_counted_invalid_and_store_nothing(
    client, customer, platform
):
    """+800 has no country to price, route or report by: invalid, like in a list import."""
    reply = await client.post(
        "/send", json=campaign_body(MOBILE, "+80012345678"), headers=customer.bearer
    )
    body = reply.json()
    assert (body["total"], body["sent"], body["invalid"], body["cost"]) == (2, 1, 1, 1)
    destinations = await fetch_all(platform, select(messages.c.destination))
    assert [row.destination for row in destinations] == [MOBILE]


async def test_all_invalid_recipients_still_create_a_free_campaign(client, customer):
    reply = await client.get(
        "/send", params={"to": "0799175", "text": "Hi"}, headers=customer.bearer
    )
    body = reply.json()
    assert body["status"] == 1 and body["ticket"]
    assert (body["cost"], body["sent"], body["invalid"], body["credits"]) == (0, 0, 1, 100)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),
        ("€" * 81, 2),
        ("é" * 160, 1),
        ("ê" * 70, 1),
        ("ê" * 71, 2),
        ("ê" * 134, 2),
        ("ê" * 135, 3),
    ],
)
async def test_cost_counts_parts_of_the_encoding(client, customer, text, parts):
    reply = await client.get(
        "/send/simulate", params={"to": MOBILE, "text": text}, headers=customer.bearer
    )
    assert reply.json()["cost"] == parts


async def test_cost_uses_the_country_price(client, customer, platform):
    from relais.services.credits import set_price

    await set_price(platform, actor="test", country="US", credits_per_part=3)
    body = campaign_body(MOBILE, "+12015550123", text="x" * 200)
    reply = await client.post("/send/simulate", json=body, headers=customer.bearer)
    assert reply.json()["cost"] == 2 * 1 + 2 * 3


async def test_simulate_stores_nothing_and_takes_no_credit(client, customer, platform):
    reply = await client.post("/send/simulate", json=campaign_body(MOBILE), headers=customer.bearer)
    body = reply.json()
    assert body["status"] == 1
    assert "ticket" not in body
    assert (body["cost"], body["credits"], body["sent"]) == (1, 100, 1)
    single = await client.get(
        "/send/simulate", params={"to": MOBILE, "text": "x"}, headers=customer.bearer
    )
    assert "ticket" not in single.json()
    assert await stored_counts(platform) == (0, 0)
    assert await fetch_value(platform, select(func.count()).select_from(credit_ledger)) == 1


# --- errors: HTTP 200, negative status, nothing stored, no credit taken -----------------


async def test_wrong_token_is_status_minus_1_verbatim(client, customer, platform):
    reply = await client.post(
        "/send", json=campaign_body(MOBILE), headers={"Authorization": "Bearer nope"}
    )
    assert reply.status_code == 200
    assert reply.json() == {
        "status": -1,
        "message": "Le login et le mot de passe ne correspondent pas",
        "details": "Token invalide",
    }
    assert await stored_counts(platform) == (0, 0)


async def test_wrong_password_in_body_is_status_minus_1_verbatim(client, customer):
    body = campaign_body(MOBILE)
    body["sms"]["authentication"] = {"username": customer.email, "password": "wrong password"}
    reply = await client.post(
        "/send",
        content=urlencode({"data": json.dumps(body)}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert reply.json() == {
        "status": -1,
        "message": "Le login et le mot de passe ne correspondent pas",
        "details": "Utilisateur ou mot de passe incorrect",
    }


async def test_missing_credentials_is_status_minus_1(client):
    reply = await client.get("/send", params={"to": MOBILE, "text": "Hi"})
    assert reply.json()["status"] == -1


async def test_malformed_xml_is_status_minus_2(client, customer, platform):
    reply = await client.post(
        "/send",
        content="<sms><message><text>Hi</message>",
        headers={**customer.bearer, "Content-Type": "application/xml"},
    )
    assert reply.json()["status"] == -2
    assert reply.json()["message"] == "XML error"
    assert await stored_counts(platform) == (0, 0)


async def test_xml_bombs_are_refused_as_xml_errors(client, customer):
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><sms>&a;</sms>'
    reply = await client.post(
        "/send", content=bomb, headers={**customer.bearer, "Content-Type": "application/xml"}
    )
    assert reply.json()["status"] == -2


async def test_not_enough_credits_is_status_minus_3_and_stores_nothing(client, platform):
    from tests.support import make_customer

    poor = await make_customer(platform, email="poor@example.com", credits=1)
    reply = await client.post(
        "/send", json=campaign_body(MOBILE, "33612345677"), headers=poor.bearer
    )
    assert reply.json()["status"] == -3
    assert await stored_counts(platform) == (0, 0)
    credits = await client.get("/credits", headers=poor.bearer)
    assert credits.json()["credits"] == "1"


@pytest.mark.parametrize("delay", ["2001-01-01 10:00:00", "tomorrow", "2030-13-45 99:00:00"])
async def test_past_or_unparseable_delay_is_status_minus_4(client, customer, platform, delay):
    reply = await client.get(
        "/send", params={"to": MOBILE, "text": "Hi", "delay": delay}, headers=customer.bearer
    )
    assert reply.json()["status"] == -4
    assert reply.json()["message"] == "Incorrect date delay"
    assert await stored_counts(platform) == (0, 0)


async def test_malformed_json_is_status_minus_6(client, customer, platform):
    reply = await client.post(
        "/send",
        content='{"sms": {',
        headers={**customer.bearer, "Content-Type": "application/json"},
    )
    assert reply.json()["status"] == -6
    assert reply.json()["message"] == "JSON error"
    assert await stored_counts(platform) == (0, 0)


@pytest.mark.parametrize(
    "params",
    [
        {"to": MOBILE},
        {"text": "Hi"},
        {"to": MOBILE, "text": ""},
        {"to": MOBILE, "text": "Hi", "sender": "TwelveLetter"},
        {"to": MOBILE, "text": "Hi", "sender": "Bad!Sender"},
        {"to": MOBILE, "text": "Hi", "pushtype": "spam"},
        {"to": MOBILE, "text": "x" * 1600},
    ],
)
async def test_missing_or_invalid_fields_are_status_minus_7(client, customer, platform, params):
    reply = await client.get("/send", params=params, headers=customer.bearer)
    body = reply.json()
    assert body["status"] == -7
    assert body["message"] == "Data error"
    assert body["details"]
    assert await stored_counts(platform) == (0, 0)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"sms": {}},
        {"sms": {"message": {"text": "Hi"}}},
        {"sms": {"message": {"text": "Hi"}, "recipients": {"gsm": []}}},
        {"sms": {"message": {}, "recipients": {"gsm": [{"value": MOBILE}]}}},
        {"sms": {"message": {"text": "Hi"}, "recipients": {"gsm": [{"gsmsmsid": "1"}]}}},
    ],
)
async def test_campaign_missing_parts_are_status_minus_7(client, customer, platform, body):
    reply = await client.post("/send", json=body, headers=customer.bearer)
    assert reply.json()["status"] == -7
    assert await stored_counts(platform) == (0, 0)


# --- options ---------------------------------------------------------------------------


async def test_marketing_and_legacy_advertising_pushtype_are_accepted(client, customer, platform):
    for pushtype in ("marketing", "advertising"):
        reply = await client.post(
            "/send", json=campaign_body(MOBILE, pushtype=pushtype), headers=customer.bearer
        )
        assert reply.json()["status"] == 1
    stored = await fetch_all(platform, select(campaigns.c.pushtype))
    assert [r[0] for r in stored] == ["marketing", "marketing"]


async def test_delay_in_paris_time_schedules_the_campaign(client, customer, platform):
    reply = await client.get(
        "/send",
        params={"to": MOBILE, "text": "Hi", "delay": "2099-06-15 10:00:00"},
        headers=customer.bearer,
    )
    assert reply.json()["status"] == 1
    due = await fetch_value(platform, select(messages.c.due_at))
    # 10:00 in Paris in June is 08:00 UTC.
    from datetime import UTC, datetime

    assert due == int(datetime(2099, 6, 15, 8, 0, tzinfo=UTC).timestamp() * 1000)


async def test_ruby_gem_delay_beside_message_is_accepted(client, customer, platform):
    body = campaign_body(MOBILE)
    body["sms"]["delay"] = "2099-01-01T10:00:00+00:00"
    reply = await client.post("/send", json=body, headers=customer.bearer)
    assert reply.json()["status"] == 1
    status = await fetch_value(platform, select(campaigns.c.status))
    assert status == "scheduled"


async def test_numeric_json_values_are_read_as_text(client, customer):
    body = {"sms": {"message": {"text": 1234}, "recipients": {"gsm": [{"value": 33612345678}]}}}
    reply = await client.post("/send", json=body, headers=customer.bearer)
    assert reply.json()["sent"] == 1
