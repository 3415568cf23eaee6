"""A suspended account gets status -1 with the reason on every endpoint and every auth form,
in JSON and XML, and nothing it asks for happens."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.support import fetch_value, make_customer

from relais.services import suspension
from relais.store.tables import campaigns, credit_ledger


@pytest.fixture
async def suspended(platform):
    shop = await make_customer(platform)
    await suspension.suspend(
        platform, actor="test", account_id=shop.account.id, reason="unpaid invoice"
    )
    return shop


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/credits"),
        ("GET", "/send?to=33612345678&text=Hi"),
        ("GET", "/campaigns"),
        ("GET", "/token"),
        ("GET", "/account"),
        ("GET", "/sub-accounts"),
    ],
)
async def test_every_endpoint_refuses_a_suspended_account(client, suspended, method, path):
    reply = await client.request(
        method, path, headers={"Authorization": f"Bearer {suspended.token}"}
    )
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == -1
    assert body["details"] == "Account suspended: unpaid invoice"


async def test_the_refusal_is_the_same_in_xml_and_with_a_password(client, platform, suspended):
    xml = await client.get(
        "/credits",
        headers={
            "Accept": "application/xml",
            "sfusername": suspended.email,
            "sfpassword": suspended.password,
        },
    )
    assert "<status>-1</status>" in xml.text
    assert "Account suspended: unpaid invoice" in xml.text


async def test_a_suspended_account_sends_nothing_and_pays_nothing(client, platform, suspended):
    before = await fetch_value(platform, select(func.count()).select_from(credit_ledger))
    reply = await client.post(
        "/send",
        headers={"Authorization": f"Bearer {suspended.token}"},
        json={
            "sms": {"message": {"text": "Hi"}, "recipients": {"gsm": [{"value": "33612345678"}]}}
        },
    )
    assert reply.json()["status"] == -1
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 0
    assert await fetch_value(platform, select(func.count()).select_from(credit_ledger)) == before
