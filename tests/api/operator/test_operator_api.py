"""The operator API: its own credentials, REST errors, and an audit row for every change."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, fetch_value, make_customer

from relais.services import operators, sub_accounts, tokens
from relais.store.tables import accounts, audit_log, credit_ledger, prices


@pytest.fixture
async def operator(platform) -> dict[str, str]:
    created = await operators.create_operator_token(platform, actor="test", name="alice")
    return {"Authorization": f"Bearer {created.value}"}


async def audit_actions(platform) -> list[tuple[str, str]]:
    rows = await fetch_all(
        platform, select(audit_log.c.actor, audit_log.c.action).order_by(audit_log.c.id)
    )
    return [(row.actor, row.action) for row in rows if row.actor != "test"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer op_wrong", "Basic YWxpY2U6c2VjcmV0", "Bearer rl_customer"],
)
async def test_calls_without_a_live_operator_token_get_401(client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization}
    reply = await client.get("/operator/accounts", headers=headers)
    assert reply.status_code == 401
    assert reply.json()["error"]["code"] == "unauthorized"
    assert reply.headers["www-authenticate"].startswith("Bearer")


async def test_a_customer_token_is_not_an_operator_token(client, platform):
    shop = await make_customer(platform)
    reply = await client.get(
        "/operator/accounts", headers={"Authorization": f"Bearer {shop.token}"}
    )
    assert reply.status_code == 401


async def test_a_revoked_operator_token_stops_at_once(client, platform, operator):
    assert (await client.get("/operator/accounts", headers=operator)).status_code == 200
    token_id = (await operators.list_operator_tokens(platform))[0].id
    await operators.revoke_operator_token(platform, actor="test", token_id=token_id)
    assert (await client.get("/operator/accounts", headers=operator)).status_code == 401


async def test_create_list_and_show_accounts(client, platform, operator):
    created = await client.post(
        "/operator/accounts",
        headers=operator,
        json={
            "email": "Shop@Example.com",
            "password": "secret1",
            "country": "BE",
            "credits": 50,
            "company": "Shop",
        },
    )
    assert created.status_code == 201
    account = created.json()["account"]
    assert account["email"] == "shop@example.com"
    assert (account["balance"], account["country"], account["company"]) == (50, "BE", "Shop")
    assert account["suspended"] is False and account["allowed_countries"] is None
    listed = (await client.get("/operator/accounts?email=shop", headers=operator)).json()
    assert [a["id"] for a in listed["accounts"]] == [account["id"]]
    shown = await client.get(f"/operator/accounts/{account['id']}", headers=operator)
    assert shown.json()["account"] == account
    assert await audit_actions(platform) == [("operator:alice", "account.create")]


@pytest.mark.parametrize(
    "body",
    [
        {"password": "secret1"},
        {"email": "not-an-email", "password": "secret1"},
        {"email": "a@b.fr", "password": "123"},
        {"email": "a@b.fr", "password": "secret1", "country": "XX"},
        {"email": "a@b.fr", "password": "secret1", "credits": -5},
        {"email": "a@b.fr", "password": "secret1", "credits": "5"},
        {"email": 12, "password": "secret1"},
    ],
)
async def test_bad_account_creations_are_400_and_store_nothing(client, platform, operator, body):
    reply = await client.post("/operator/accounts", headers=operator, json=body)
    assert reply.status_code == 400
    assert reply.json()["error"]["code"] == "invalid_request"
    assert await fetch_value(platform, select(func.count()).select_from(accounts)) == 0
    assert await audit_actions(platform) == []


async def test_malformed_json_is_400(client, operator):
    reply = await client.post(
        "/operator/accounts",
        headers={**operator, "Content-Type": "application/json"},
        content=b"{nope",
    )
    assert reply.status_code == 400
    assert "JSON" in reply.json()["error"]["message"]


async def test_unknown_accounts_and_routes_are_404_in_json(client, operator):
    missing = await client.get("/operator/accounts/999", headers=operator)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert (await client.get("/operator/accounts/abc", headers=operator)).status_code == 404
    nowhere = await client.get("/operator/nothing-here", headers=operator)
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "not_found"
    wrong = await client.delete("/operator/accounts", headers=operator)
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


async def test_suspend_and_unlock_through_the_api(client, platform, operator):
    shop = await make_customer(platform)
    suspended = await client.post(
        f"/operator/accounts/{shop.account.id}/suspend",
        headers=operator,
        json={"reason": "chargeback"},
    )
    assert suspended.status_code == 200
    assert suspended.json()["account"]["suspended"] is True
    assert suspended.json()["account"]["suspension_reason"] == "chargeback"
    refused = await client.get("/credits", headers={"Authorization": f"Bearer {shop.token}"})
    assert refused.json()["status"] == -1
    unlocked = await client.post(f"/operator/accounts/{shop.account.id}/unlock", headers=operator)
    assert unlocked.json()["account"]["suspended"] is False
    assert (await tokens.authenticate_token(platform, shop.token)).id == shop.account.id
    assert await audit_actions(platform) == [
        ("operator:alice", "account.suspend"),
        ("operator:alice", "account.unlock"),
    ]


async def test_credits_are_added_and_removed_as_ledger_rows(client, platform, operator):
    shop = await make_customer(platform, credits=100)
    url = f"/operator/accounts/{shop.account.id}/credits"
    added = await client.post(url, headers=operator, json={"amount": 40, "note": "invoice 7"})
    assert added.json() == {"balance": 140}
    removed = await client.post(url, headers=operator, json={"amount": -30})
    assert removed.json() == {"balance": 110}
    too_much = await client.post(url, headers=operator, json={"amount": -500})
    assert too_much.status_code == 400
    for bad in ({"amount": 0}, {"amount": "5"}, {"amount": True}, {}):
        assert (await client.post(url, headers=operator, json=bad)).status_code == 400
    ledger = await fetch_all(
        platform,
        select(credit_ledger.c.amount)
        .where(credit_ledger.c.account_id == shop.account.id)
        .order_by(credit_ledger.c.id),
    )
    assert [row.amount for row in ledger] == [100, 40, -30]
    assert await audit_actions(platform) == [("operator:alice", "account.credits")] * 2


async def test_price_table_edits(client, platform, operator):
    put = await client.put("/operator/prices/US", headers=operator, json={"credits_per_part": 3})
    assert put.json() == {"prices": {"US": 3}}
    assert (
        await client.put("/operator/prices/XX", headers=operator, json={"credits_per_part": 3})
    ).status_code == 400
    assert (
        await client.put("/operator/prices/FR", headers=operator, json={"credits_per_part": -1})
    ).status_code == 400
    assert (await client.delete("/operator/prices/US", headers=operator)).json() == {"prices": {}}
    assert (await client.delete("/operator/prices/US", headers=operator)).status_code == 404
    assert await fetch_value(platform, select(func.count()).select_from(prices)) == 0
    assert await audit_actions(platform) == [
        ("operator:alice", "price.set"),
        ("operator:alice", "price.remove"),
    ]


async def test_transfer_between_a_parent_and_its_sub_account(client, platform, operator):
    shop = await make_customer(platform, credits=100)
    child_id = await sub_accounts.open_account(
        platform,
        caller=shop.account,
        email="kid@example.com",
        password="secret1",
        child=True,
        unlimited=False,
    )
    url = f"/operator/accounts/{child_id}/transfer"
    moved = await client.post(url, headers=operator, json={"amount": 30})
    assert moved.json() == {"parent_balance": 70, "balance": 30}
    back = await client.post(url, headers=operator, json={"amount": -10})
    assert back.json() == {"parent_balance": 80, "balance": 20}
    over = await client.post(url, headers=operator, json={"amount": 500})
    assert over.status_code == 409
    not_child = await client.post(
        f"/operator/accounts/{shop.account.id}/transfer", headers=operator, json={"amount": 5}
    )
    assert not_child.status_code == 400


async def test_the_audit_log_reads_newest_first_with_filters(client, platform, operator):
    shop = await make_customer(platform)
    for amount in (1, 2, 3):
        await client.post(
            f"/operator/accounts/{shop.account.id}/credits",
            headers=operator,
            json={"amount": amount},
        )
    await client.put("/operator/prices/US", headers=operator, json={"credits_per_part": 2})
    entries = (
        await client.get(f"/operator/audit?account_id={shop.account.id}&limit=2", headers=operator)
    ).json()["entries"]
    assert [e["details"]["amount"] for e in entries] == [3, 2]
    assert all(e["actor"] == "operator:alice" for e in entries)
    older = (
        await client.get(
            f"/operator/audit?account_id={shop.account.id}&action=account.credits"
            f"&before_id={entries[-1]['id']}",
            headers=operator,
        )
    ).json()["entries"]
    assert [e["details"]["amount"] for e in older] == [1]
    prices_only = (await client.get("/operator/audit?action=price.set", headers=operator)).json()
    assert [e["details"] for e in prices_only["entries"]] == [
        {"country": "US", "credits_per_part": 2}
    ]
    assert (await client.get("/operator/audit?limit=0", headers=operator)).status_code == 400
