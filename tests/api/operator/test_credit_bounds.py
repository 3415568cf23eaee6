"""Credit amounts an operator sends are bounded: absurd, overflowing or non-integer amounts
are a 400 and change nothing, negative removals keep working, and after any of it every
account's balance equals the sum of its ledger (both backends)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, make_customer, relais

from relais.core import credit_amounts
from relais.core.credit_amounts import MAX_CREDIT_AMOUNT
from relais.services import operators, sub_accounts
from relais.store.tables import accounts, credit_ledger

ABSURD = [10**30, 2**63, 2**63 - 1, -(2**63), MAX_CREDIT_AMOUNT + 1, 1.5, "5", " 5 ", True, None]


@pytest.fixture
async def operator(platform) -> dict[str, str]:
    created = await operators.create_operator_token(platform, actor="test", name="alice")
    return {"Authorization": f"Bearer {created.value}"}


async def ledger_matches_balances(platform) -> None:
    balances = dict(await fetch_all(platform, select(accounts.c.id, accounts.c.balance)))
    sums = dict(
        await fetch_all(
            platform,
            select(credit_ledger.c.account_id, func.sum(credit_ledger.c.amount)).group_by(
                credit_ledger.c.account_id
            ),
        )
    )
    assert all(isinstance(b, int) for b in balances.values()), balances
    assert {k: v for k, v in balances.items() if v} == {k: int(v) for k, v in sums.items() if v}


@pytest.mark.parametrize("amount", ABSURD)
async def test_an_absurd_amount_is_400_and_changes_nothing(client, platform, operator, amount):
    shop = await make_customer(platform, credits=100)
    answer = await client.post(
        f"/operator/accounts/{shop.account.id}/credits", headers=operator, json={"amount": amount}
    )
    assert answer.status_code == 400, answer.text
    child_id = await sub_accounts.open_account(
        platform,
        caller=shop.account,
        email="kid@example.com",
        password="secret1",
        child=True,
        unlimited=False,
    )
    answer = await client.post(
        f"/operator/accounts/{child_id}/transfer", headers=operator, json={"amount": amount}
    )
    assert answer.status_code == 400, answer.text
    answer = await client.post(
        "/operator/accounts",
        headers=operator,
        json={"email": "new@example.com", "password": "secret1", "credits": amount},
    )
    assert answer.status_code == 400 or amount is None, answer.text
    await ledger_matches_balances(platform)


async def test_the_largest_amounts_pass_and_a_balance_stops_at_its_maximum(
    client, platform, operator, monkeypatch
):
    monkeypatch.setattr(credit_amounts, "MAX_BALANCE", 3 * MAX_CREDIT_AMOUNT)
    shop = await make_customer(platform, credits=0)
    url = f"/operator/accounts/{shop.account.id}/credits"
    for _ in range(3):
        added = await client.post(url, headers=operator, json={"amount": MAX_CREDIT_AMOUNT})
        assert added.status_code == 200, added.text
    over = await client.post(url, headers=operator, json={"amount": 1})
    assert over.status_code == 400 and "cannot exceed" in over.text
    removed = await client.post(url, headers=operator, json={"amount": -MAX_CREDIT_AMOUNT})
    assert removed.status_code == 200
    await ledger_matches_balances(platform)


async def test_the_cli_refuses_the_same_amounts(database_url, platform):
    shop = await make_customer(platform, credits=100)
    done = relais(database_url, "credits", "add", "--email", shop.email, str(2**63))
    assert done.returncode == 1 and "amount" in done.stderr, done
    await ledger_matches_balances(platform)
