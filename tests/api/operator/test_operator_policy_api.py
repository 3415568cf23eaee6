"""The operator API over sending policy and moderation: each change applies to the next
send and is audited as the operator."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from tests.support import fetch_all, make_customer

from relais.services import operators
from relais.store.tables import audit_log, credit_ledger


@pytest.fixture
async def operator(platform) -> dict[str, str]:
    created = await operators.create_operator_token(platform, actor="test", name="alice")
    return {"Authorization": f"Bearer {created.value}"}


async def send(client, token: str, *numbers: str, text: str = "Hello") -> dict:
    reply = await client.post(
        "/send",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "sms": {
                "message": {"text": text},
                "recipients": {"gsm": [{"value": n} for n in numbers]},
            }
        },
    )
    return reply.json()


async def operator_actions(platform) -> list[str]:
    rows = await fetch_all(
        platform,
        select(audit_log.c.action)
        .where(audit_log.c.actor == "operator:alice")
        .order_by(audit_log.c.id),
    )
    return [row.action for row in rows]


async def test_allowed_countries_caps_and_sender_apply_to_the_next_send(client, platform, operator):
    shop = await make_customer(platform, credits=100)
    base = f"/operator/accounts/{shop.account.id}"
    countries = await client.put(
        f"{base}/allowed-countries", headers=operator, json={"countries": ["fr", "BE"]}
    )
    assert countries.status_code == 200
    assert sorted(countries.json()["account"]["allowed_countries"]) == ["BE", "FR"]
    capped = await client.put(
        f"{base}/country-caps/FR", headers=operator, json={"monthly_limit": 1}
    )
    assert capped.json()["account"]["country_caps"] == {"FR": 1}
    sender = await client.put(f"{base}/default-sender", headers=operator, json={"sender": "Shop"})
    assert sender.json()["account"]["default_sender"] == "Shop"

    reply = await send(client, shop.token, "33612345678", "33612345679", "4915112345678")
    assert reply["status"] == 1
    assert (reply["sent"], reply["not_allowed"], reply["country_limit"]) == (1, 1, 1)

    uncapped = await client.delete(f"{base}/country-caps/FR", headers=operator)
    assert uncapped.json()["account"]["country_caps"] == {}
    everywhere = await client.put(
        f"{base}/allowed-countries", headers=operator, json={"countries": None}
    )
    assert everywhere.json()["account"]["allowed_countries"] is None
    reply = await send(client, shop.token, "33612345670", "4915112345678")
    assert (reply["sent"], reply["not_allowed"], reply["country_limit"]) == (2, 0, 0)
    assert await operator_actions(platform) == [
        "account.allowed_countries",
        "account.country_cap",
        "account.default_sender",
        "account.country_cap",
        "account.allowed_countries",
    ]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("allowed-countries", {"countries": ["XX"]}),
        ("allowed-countries", {"countries": "FR"}),
        ("allowed-countries", {"countries": [1]}),
        ("country-caps/XX", {"monthly_limit": 5}),
        ("country-caps/FR", {"monthly_limit": -1}),
        ("country-caps/FR", {"monthly_limit": "5"}),
        ("country-caps/FR", {}),
        ("default-sender", {"sender": "this sender is far too long"}),
    ],
)
async def test_bad_policy_values_are_400_and_change_nothing(client, platform, operator, path, body):
    shop = await make_customer(platform)
    reply = await client.put(
        f"/operator/accounts/{shop.account.id}/{path}", headers=operator, json=body
    )
    assert reply.status_code == 400, reply.text
    shown = (await client.get(f"/operator/accounts/{shop.account.id}", headers=operator)).json()
    account = shown["account"]
    assert (account["allowed_countries"], account["country_caps"], account["default_sender"]) == (
        None,
        {},
        None,
    )
    assert await operator_actions(platform) == []


async def test_policy_of_an_unknown_account_is_404(client, operator):
    reply = await client.put(
        "/operator/accounts/999/allowed-countries", headers=operator, json={"countries": ["FR"]}
    )
    assert reply.status_code == 404


async def test_moderation_rules_queue_approve_and_refuse(client, platform, operator):
    shop = await make_customer(platform, credits=100)
    added = await client.post(
        "/operator/moderation/rules",
        headers=operator,
        json={"kind": "word", "value": "casino", "account_id": shop.account.id},
    )
    assert added.status_code == 201
    rule_id = added.json()["id"]
    listed = (await client.get("/operator/moderation/rules", headers=operator)).json()["rules"]
    assert [(r["id"], r["kind"], r["value"]) for r in listed] == [(rule_id, "word", "casino")]

    first = await send(client, shop.token, "33612345678", text="Casino night")
    second = await send(client, shop.token, "33612345679", text="casino again")
    assert first["status"] == second["status"] == -8
    queue = (await client.get("/operator/moderation/queue", headers=operator)).json()["campaigns"]
    assert [c["campaign_id"] for c in queue] == [int(first["ticket"]), int(second["ticket"])]

    approved = await client.post(
        f"/operator/moderation/campaigns/{first['ticket']}/approve", headers=operator
    )
    assert approved.json() == {"approved": int(first["ticket"])}
    refused = await client.post(
        f"/operator/moderation/campaigns/{second['ticket']}/refuse", headers=operator
    )
    assert refused.json() == {"refused": int(second["ticket"])}
    again = await client.post(
        f"/operator/moderation/campaigns/{second['ticket']}/refuse", headers=operator
    )
    assert again.status_code == 400
    missing = await client.post("/operator/moderation/campaigns/999/approve", headers=operator)
    assert missing.status_code == 404
    assert (await client.get("/operator/moderation/queue", headers=operator)).json() == {
        "campaigns": []
    }

    ledger = await fetch_all(
        platform,
        select(credit_ledger.c.amount, credit_ledger.c.reason)
        .where(credit_ledger.c.account_id == shop.account.id)
        .order_by(credit_ledger.c.id),
    )
    assert [tuple(row) for row in ledger] == [
        (100, "topup"),
        (-1, "campaign"),
        (-1, "campaign"),
        (1, "refund"),
    ]

    removed = await client.delete(f"/operator/moderation/rules/{rule_id}", headers=operator)
    assert removed.json() == {"removed": rule_id}
    assert (await send(client, shop.token, "33612345670", text="Casino"))["status"] == 1
    assert await operator_actions(platform) == [
        "moderation.rule_add",
        "moderation.approve",
        "moderation.refuse",
        "moderation.rule_remove",
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "colour", "value": "red"},
        {"kind": "word"},
        {"kind": "first_campaigns", "value": "-2"},
    ],
)
async def test_bad_moderation_rules_are_400(client, platform, operator, body):
    reply = await client.post("/operator/moderation/rules", headers=operator, json=body)
    assert reply.status_code == 400
    assert (await client.get("/operator/moderation/rules", headers=operator)).json() == {
        "rules": []
    }
