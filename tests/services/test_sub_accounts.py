"""Sub-accounts and money: who pays for a sub-account's sends, refunds to the payer, and
credit transfers between a parent and its sub-account, on both backends."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from tests.support import fetch_all, fetch_value, make_customer, relais

from relais.config import Settings
from relais.core.errors import (
    AuthenticationFailed,
    InsufficientCredits,
    InvalidField,
    NotCancellable,
    NotFound,
)
from relais.services import accounts, campaigns, credits, sub_accounts, tokens
from relais.services.platform import Platform
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store.ledger import ledger_sum
from relais.store.tables import accounts as accounts_table
from relais.store.tables import campaigns as campaigns_table
from relais.store.tables import credit_ledger, messages

LATER = "2099-06-15 10:00:00"


def submission(*numbers: str, delay: str | None = None) -> Submission:
    return Submission(text="Hello", recipients=[Recipient(n) for n in numbers], delay=delay)


async def child_of(platform, parent, *, email: str, unlimited: bool):
    await sub_accounts.open_account(
        platform,
        caller=parent.account,
        email=email,
        password="secret1",
        child=True,
        unlimited=unlimited,
    )
    return await accounts.find_account(platform, email=email)


async def balance(platform, account_id: int) -> int:
    return await credits.balance(platform, account_id=account_id)


async def assert_ledger_matches(platform, *account_ids: int) -> None:
    for account_id in account_ids:
        total = await platform.db.read(lambda conn, a=account_id: ledger_sum(conn, a))
        assert total == await balance(platform, account_id)


async def ledger_rows(platform, account_id: int) -> list[tuple[int, str, int | None]]:
    rows = await fetch_all(
        platform,
        select(credit_ledger.c.amount, credit_ledger.c.reason, credit_ledger.c.campaign_id)
        .where(credit_ledger.c.account_id == account_id)
        .order_by(credit_ledger.c.id),
    )
    return [tuple(row) for row in rows]


async def test_sub_account_ref_names_the_paying_account(platform):
    parent = await make_customer(platform, credits=10)
    unlimited = await child_of(platform, parent, email="u@example.com", unlimited=True)
    limited = await child_of(platform, parent, email="l@example.com", unlimited=False)
    assert unlimited.billing_account_id == parent.account.id and unlimited.unlimited
    assert limited.billing_account_id == limited.id and not limited.unlimited
    assert parent.account.billing_account_id == parent.account.id
    token = await tokens.create_token(platform, account_id=unlimited.id)
    assert await tokens.authenticate_token(platform, token.value) == unlimited
    assert await accounts.authenticate_password(platform, "u@example.com", "secret1") == unlimited


async def test_unlimited_child_spends_parent_credits(platform):
    parent = await make_customer(platform, credits=10)
    child = await child_of(platform, parent, email="u@example.com", unlimited=True)
    report = await send(
        platform, account=child, submission=submission("33612345678", "33612345679")
    )
    assert report.cost == 2 and report.credits == 8
    assert await balance(platform, parent.account.id) == 8
    assert await balance(platform, child.id) == 0
    assert await ledger_rows(platform, child.id) == []
    assert (await ledger_rows(platform, parent.account.id))[-1] == (-2, "campaign", report.ticket)
    owner = await fetch_value(
        platform, select(campaigns_table.c.account_id).where(campaigns_table.c.id == report.ticket)
    )
    assert owner == child.id
    await assert_ledger_matches(platform, parent.account.id, child.id)


async def test_unlimited_child_is_refused_when_parent_cannot_pay(platform):
    parent = await make_customer(platform, credits=1)
    child = await child_of(platform, parent, email="u@example.com", unlimited=True)
    with pytest.raises(InsufficientCredits):
        await send(platform, account=child, submission=submission("33612345678", "33612345679"))
    assert await fetch_value(platform, select(func.count()).select_from(campaigns_table)) == 0
    assert await balance(platform, parent.account.id) == 1


async def test_limited_child_never_goes_below_zero(platform):
    parent = await make_customer(platform, credits=100)
    child = await child_of(platform, parent, email="l@example.com", unlimited=False)
    with pytest.raises(InsufficientCredits):
        await send(platform, account=child, submission=submission("33612345678"))
    assert await fetch_value(platform, select(func.count()).select_from(campaigns_table)) == 0
    assert await fetch_value(platform, select(func.count()).select_from(messages)) == 0
    assert await balance(platform, child.id) == 0
    assert await balance(platform, parent.account.id) == 100
    await sub_accounts.transfer_credits(
        platform, actor="test", parent_id=parent.account.id, child_id=child.id, amount=1
    )
    report = await send(platform, account=child, submission=submission("33612345678"))
    assert report.credits == 0
    assert await balance(platform, parent.account.id) == 99
    await assert_ledger_matches(platform, parent.account.id, child.id)


async def test_cancel_of_unlimited_child_campaign_refunds_parent_once(platform):
    parent = await make_customer(platform, credits=10)
    child = await child_of(platform, parent, email="u@example.com", unlimited=True)
    report = await send(
        platform, account=child, submission=submission("33612345678", "33612345679", delay=LATER)
    )
    assert await balance(platform, parent.account.id) == 8
    left = await campaigns.cancel_campaign(platform, account=child, campaign_id=report.ticket)
    assert left == 10
    with pytest.raises(NotCancellable):
        await campaigns.cancel_campaign(platform, account=child, campaign_id=report.ticket)
    assert await balance(platform, parent.account.id) == 10
    assert await ledger_rows(platform, child.id) == []
    refunds = [r for r in await ledger_rows(platform, parent.account.id) if r[1] == "refund"]
    assert refunds == [(2, "refund", report.ticket)]
    await assert_ledger_matches(platform, parent.account.id, child.id)


async def test_transfer_both_ways_writes_two_ledger_rows(platform):
    parent = await make_customer(platform, credits=50)
    child = await child_of(platform, parent, email="l@example.com", unlimited=False)
    assert await sub_accounts.transfer_credits(
        platform, actor="test", parent_id=parent.account.id, child_id=child.id, amount=30
    ) == (20, 30)
    assert await sub_accounts.transfer_credits(
        platform, actor="test", parent_id=parent.account.id, child_id=child.id, amount=-12
    ) == (32, 18)
    assert await ledger_rows(platform, child.id) == [
        (30, "transfer", None),
        (-12, "transfer", None),
    ]
    assert (await ledger_rows(platform, parent.account.id))[1:] == [
        (-30, "transfer", None),
        (12, "transfer", None),
    ]
    await assert_ledger_matches(platform, parent.account.id, child.id)


async def test_transfer_refusals_store_nothing(platform):
    parent = await make_customer(platform, credits=5)
    other = await make_customer(platform, email="other@example.com", credits=5)
    child = await child_of(platform, parent, email="l@example.com", unlimited=False)
    sibling = await child_of(platform, parent, email="s@example.com", unlimited=False)
    unlimited = await child_of(platform, parent, email="u@example.com", unlimited=True)
    before = await fetch_value(platform, select(func.count()).select_from(credit_ledger))
    with pytest.raises(InsufficientCredits):
        await sub_accounts.transfer_credits(
            platform, actor="test", parent_id=parent.account.id, child_id=child.id, amount=6
        )
    with pytest.raises(InsufficientCredits):
        await sub_accounts.transfer_credits(
            platform, actor="test", parent_id=parent.account.id, child_id=child.id, amount=-1
        )
    with pytest.raises(NotFound):
        await sub_accounts.transfer_credits(
            platform, actor="test", parent_id=other.account.id, child_id=child.id, amount=1
        )
    with pytest.raises(NotFound):
        await sub_accounts.transfer_credits(
            platform, actor="test", parent_id=child.id, child_id=sibling.id, amount=1
        )
    with pytest.raises(InvalidField):
        await sub_accounts.transfer_credits(
            platform, actor="test", parent_id=parent.account.id, child_id=unlimited.id, amount=1
        )
    with pytest.raises(InvalidField):
        await sub_accounts.transfer_credits(
            platform, actor="test", parent_id=parent.account.id, child_id=child.id, amount=0
        )
    with pytest.raises(InvalidField):
        await sub_accounts.transfer_between(
            platform,
            actor="test",
            from_email="other@example.com",
            to_email="l@example.com",
            amount=1,
        )
    assert await fetch_value(platform, select(func.count()).select_from(credit_ledger)) == before
    assert await balance(platform, parent.account.id) == 5


async def test_sub_account_cannot_create_sub_accounts(platform):
    parent = await make_customer(platform, credits=5)
    child = await child_of(platform, parent, email="l@example.com", unlimited=False)
    with pytest.raises(AuthenticationFailed):
        await sub_accounts.open_account(
            platform,
            caller=child,
            email="g@example.com",
            password="secret1",
            child=True,
            unlimited=False,
        )
    count = await fetch_value(platform, select(func.count()).select_from(accounts_table))
    assert count == 2


def test_cli_credits_transfer(database_url):
    assert (
        relais(
            database_url,
            "account",
            "create",
            "--email",
            "p@b.fr",
            "--password",
            "secret1",
            "--credits",
            "20",
        ).returncode
        == 0
    )

    async def make_child():
        platform = Platform.open(Settings(database_url=database_url, dispatcher_enabled=False))
        try:
            parent = await accounts.find_account(platform, email="p@b.fr")
            await sub_accounts.open_account(
                platform,
                caller=parent,
                email="c@b.fr",
                password="secret1",
                child=True,
                unlimited=False,
            )
        finally:
            await platform.close()

    asyncio.run(make_child())
    given = relais(database_url, "credits", "transfer", "--from", "p@b.fr", "--to", "c@b.fr", "8")
    assert given.returncode == 0, given.stderr
    assert given.stdout.strip() == "giver_balance=12 receiver_balance=8"
    back = relais(database_url, "credits", "transfer", "--from", "c@b.fr", "--to", "p@b.fr", "3")
    assert back.stdout.strip() == "giver_balance=5 receiver_balance=15"
    refused = relais(database_url, "credits", "transfer", "--from", "c@b.fr", "--to", "p@b.fr", "9")
    assert refused.returncode != 0 and refused.stderr
    shown = relais(database_url, "credits", "show", "--email", "c@b.fr")
    assert shown.stdout.strip() == "balance=5"
