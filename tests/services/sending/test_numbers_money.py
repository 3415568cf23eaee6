"""The money invariant: concurrent sends never overdraw an account, and afterwards the
balance equals the sum of the ledger, on both backends."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from tests.support import fetch_value, make_customer

from relais.core.errors import InsufficientCredits
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store.ledger import ledger_sum
from relais.store.tables import accounts, campaigns, messages


def submission(*numbers: str, text: str = "Hello") -> Submission:
    return Submission(text=text, recipients=[Recipient(n) for n in numbers])


async def test_concurrent_sends_never_overdraw(platform):
    customer = await make_customer(platform, credits=50)

    async def one(i: int) -> bool:
        try:
            await send(
                platform,
                account=customer.account,
                submission=submission(f"336{10000000 + i:08d}"),
            )
        except InsufficientCredits:
            return False
        return True

    results = await asyncio.gather(*(one(i) for i in range(120)))
    assert sum(results) == 50
    balance = await fetch_value(platform, select(accounts.c.balance))
    assert balance == 0
    total = await platform.db.read(lambda conn: ledger_sum(conn, customer.account.id))
    assert total == balance
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 50
    assert await fetch_value(platform, select(func.count()).select_from(messages)) == 50


async def test_concurrent_multi_part_sends_keep_ledger_equal_to_balance(platform):
    customer = await make_customer(platform, credits=1000)
    long_text = "x" * 200  # two parts

    async def one(i: int) -> int:
        numbers = [f"336{20000000 + i * 10 + k:08d}" for k in range(7)]
        try:
            report = await send(
                platform,
                account=customer.account,
                submission=submission(*numbers, text=long_text),
            )
        except InsufficientCredits:
            return 0
        return report.cost

    spent = sum(await asyncio.gather(*(one(i) for i in range(80))))
    balance = await fetch_value(platform, select(accounts.c.balance))
    assert spent == 1000 - balance
    assert balance >= 0 and balance < 14  # the next 14-credit send could not fit
    assert await platform.db.read(lambda conn: ledger_sum(conn, customer.account.id)) == balance
    stored = await fetch_value(platform, select(func.coalesce(func.sum(messages.c.cost), 0)))
    assert stored == spent


async def test_refused_send_in_a_busy_group_does_not_disturb_its_neighbours(platform):
    rich = await make_customer(platform, email="rich@example.com", credits=100)
    poor = await make_customer(platform, email="poor@example.com", credits=0)
    jobs = []
    for i in range(30):
        who = poor if i % 3 == 0 else rich
        jobs.append(
            send(platform, account=who.account, submission=submission(f"336{30000000 + i:08d}"))
        )
    results = await asyncio.gather(*jobs, return_exceptions=True)
    refused = [r for r in results if isinstance(r, InsufficientCredits)]
    assert len(refused) == 10
    assert all(not isinstance(r, Exception) or isinstance(r, InsufficientCredits) for r in results)
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 20


@pytest.mark.parametrize("credits", [0, 3])
async def test_send_costing_more_than_balance_stores_nothing(platform, credits):
    customer = await make_customer(platform, credits=credits)
    with pytest.raises(InsufficientCredits):
        await send(
            platform,
            account=customer.account,
            submission=submission(*(f"336{40000000 + i:08d}" for i in range(4))),
        )
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 0
    assert await fetch_value(platform, select(accounts.c.balance)) == credits


async def test_concurrent_single_sends_each_answer_the_ticket_of_their_own_message(platform):
    """On PostgreSQL a group's single sends are inserted together at its end
    (store.paid_campaigns): each still answers its own campaign and its own balance."""
    customer = await make_customer(platform, credits=100)
    numbers = [f"336{30000000 + i:08d}" for i in range(12)]

    reports = await asyncio.gather(
        *(send(platform, account=customer.account, submission=submission(n)) for n in numbers)
    )

    stored = dict(
        await platform.db.read(
            lambda conn: conn.execute(select(messages.c.destination, messages.c.campaign_id)).all()
        )
    )
    assert [report.ticket for report in reports] == [stored[n] for n in numbers]
    assert sorted(report.credits for report in reports) == list(range(88, 100))
