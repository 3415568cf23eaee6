"""The operator API over an account's Skycore settings: GET and PUT
/operator/accounts/{id}/skycore, audited, checked, applied to the next `sendsms`."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.api.skycore.support import call, sms
from tests.support import fetch_all

from relais.services import operators
from relais.store.tables import audit_log, skycore_settings


@pytest.fixture
async def operator(platform) -> dict[str, str]:
    created = await operators.create_operator_token(platform, actor="test", name="alice")
    return {"Authorization": f"Bearer {created.value}"}


async def test_defaults_then_changes_one_setting_at_a_time(client, customer, platform, operator):
    path = f"/operator/accounts/{customer.account.id}/skycore"
    shown = await client.get(path, headers=operator)
    assert shown.status_code == 200
    assert shown.json() == {"skycore": {"enforce_campaign_check": False, "postback_url": ""}}
    on = await client.put(path, headers=operator, json={"enforce_campaign_check": True})
    assert on.json() == {"skycore": {"enforce_campaign_check": True, "postback_url": ""}}
    url = await client.put(
        path, headers=operator, json={"postback_url": " https://hooks.example/sky "}
    )
    assert url.json()["skycore"] == {
        "enforce_campaign_check": True,
        "postback_url": "https://hooks.example/sky",
    }
    assert (await client.get(path, headers=operator)).json() == url.json()
    cleared = await client.put(path, headers=operator, json={"postback_url": ""})
    assert cleared.json()["skycore"]["postback_url"] == ""
    actions = await fetch_all(
        platform, select(audit_log.c.action).where(audit_log.c.actor == "operator:alice")
    )
    assert [a[0] for a in actions] == ["account.skycore_settings"] * 3


async def test_the_check_set_by_the_operator_applies_to_the_next_send(client, customer, operator):
    path = f"/operator/accounts/{customer.account.id}/skycore"
    await client.put(path, headers=operator, json={"enforce_campaign_check": True})
    assert (await call(client, customer.token, sms()))["error-code"] == "E114"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"enforce_campaign_check": "yes"},
        {"enforce_campaign_check": 1},
        {"postback_url": "ftp://hooks.example/"},
        {"postback_url": "https://user:pw@hooks.example/"},
        {"postback_url": "https://" + "a" * 2000 + ".example/"},
        {"postback_url": 7},
        {"colour": "blue"},
    ],
)
async def test_bad_settings_are_400_and_change_nothing(client, customer, platform, operator, body):
    path = f"/operator/accounts/{customer.account.id}/skycore"
    reply = await client.put(path, headers=operator, json=body)
    assert reply.status_code == 400, reply.text
    assert reply.json()["error"]["code"] == "invalid_request"
    assert await fetch_all(platform, select(skycore_settings)) == []


async def test_unknown_account_is_404_and_a_customer_token_is_401(client, customer, operator):
    missing = await client.get("/operator/accounts/999/skycore", headers=operator)
    assert missing.status_code == 404
    put = await client.put(
        "/operator/accounts/999/skycore", headers=operator, json={"enforce_campaign_check": True}
    )
    assert put.status_code == 404
    stranger = await client.get(
        f"/operator/accounts/{customer.account.id}/skycore", headers=customer.bearer
    )
    assert stranger.status_code == 401
