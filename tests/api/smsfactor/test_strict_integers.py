"""Numbers in requests are ASCII digits within range, or a -7/-5 in SMSFactor's envelope,
never a 500: page offsets, counts, ids, ttl; and a delay whose offset pushes it past year
9999 is an incorrect delay (-4)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("raw", [" 5 ", "٥", "١٢", str(10**30), str(2**63), "1e3"])
@pytest.mark.parametrize("name", ["start", "length", "sms_min"])
async def test_a_bad_number_in_the_query_is_a_data_error(client, customer, name, raw):
    answer = await client.get("/campaigns", params={name: raw}, headers=customer.bearer)
    assert answer.status_code == 200
    assert answer.json()["status"] == -7, answer.text
    assert name in answer.json()["details"]


@pytest.mark.parametrize("raw", ["١٢", str(2**63), " 1"])
async def test_an_id_that_cannot_be_ours_is_not_found(client, customer, raw):
    answer = await client.get(f"/campaign/{raw}", headers=customer.bearer)
    assert answer.json()["status"] == -5, answer.text


@pytest.mark.parametrize("ttl", [" 5 ", "٥", 2**63, 0, -1, 1.5])
async def test_a_bad_token_ttl_is_a_data_error(client, customer, ttl):
    answer = await client.post("/token", json={"token": {"ttl": ttl}}, headers=customer.bearer)
    assert answer.json()["status"] == -7, answer.text


async def test_a_delay_past_year_9999_is_an_incorrect_delay(client, customer):
    body = {
        "sms": {
            "message": {"text": "Hi", "delay": "9999-12-31T23:59:59-23:00"},
            "recipients": {"gsm": [{"value": "33612345678"}]},
        }
    }
    answer = await client.post("/send", json=body, headers=customer.bearer)
    assert answer.json()["status"] == -4, answer.text
