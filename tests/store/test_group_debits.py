"""A group's debits on both backends: each send learns the balance just after its own debit,
as if taken one after the other; a group the balance does not cover runs its works again
alone; a balance moved at once inside a group keeps that order. On PostgreSQL the debits of
a group of several are taken by one statement at its end (the row untouched until then)."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select, text
from tests.support import (
    campaign_row,
    fetch_all,
    fetch_value,
    in_one_group,
    make_customer,
    message_row,
)

from relais.core.errors import AccountSuspended, InsufficientCredits
from relais.services import balance_notifications, suspension, webhooks
from relais.services.platform import Platform
from relais.services.sending.common import insert_paid_campaign as insert_paid_campaign_of
from relais.store import ledger
from relais.store.group_debits import Debit
from relais.store.paid_campaigns import insert_paid_campaign
from relais.store.tables import accounts, campaigns, credit_ledger, webhook_events


def paying(account_id: int, amount: int, *, pause: float = 0.0):
    """A send's write: a campaign of one message costing `amount`; its debit and the
    balance the work itself reads just after it (having waited `pause` s, on PostgreSQL)."""

    def work(conn) -> tuple[Debit, int]:
        paid = insert_paid_campaign(
            conn,
            campaign=campaign_row(account_id, cost=amount, total=1, sent=1),
            messages=[message_row(account_id, "33612345678", cost=amount)],
            payer=account_id,
            amount=amount,
            now_ms=1,
        )
        if paid is None:
            raise InsufficientCredits()
        if pause:
            conn.execute(text(f"SELECT pg_sleep({pause})"))
        seen = conn.execute(
            select(accounts.c.balance).where(accounts.c.id == account_id)
        ).scalar_one()
        return paid.debit, seen

    return work


async def _balance(platform, account_id: int) -> int:
    return await fetch_value(
        platform, select(accounts.c.balance).where(accounts.c.id == account_id)
    )


async def test_each_debit_of_a_group_learns_the_balance_just_after_it(platform):
    account_id = (await make_customer(platform, credits=100)).account.id
    before = platform.db.groups_committed

    results = await in_one_group(
        platform, *(platform.db.write(paying(account_id, amount)) for amount in (1, 2, 3))
    )

    assert [debit.balance for debit, _ in results] == [99, 97, 94]
    assert await _balance(platform, account_id) == 94
    assert (
        await fetch_value(
            platform,
            select(func.sum(credit_ledger.c.amount)).where(
                credit_ledger.c.account_id == account_id
            ),
        )
        == 94
    )
    # One group, and its works ran before the row moved: it is taken at the group's end.
    assert platform.db.groups_committed - before == 1
    assert [seen for _, seen in results] == [100, 100, 100]


async def test_a_write_alone_takes_its_debit_at_once(platform):
    account_id = (await make_customer(platform, credits=100)).account.id

    debit, seen = await platform.db.write(paying(account_id, 3))

    assert (debit.balance, seen) == (97, 97)


async def test_a_group_its_balance_does_not_cover_runs_each_send_alone(platform):
    account_id = (await make_customer(platform, credits=100)).account.id

    outcomes = await asyncio.gather(
        platform.db.write(paying(account_id, 60)),
        platform.db.write(paying(account_id, 50)),
        platform.db.write(paying(account_id, 40)),
        return_exceptions=True,
    )

    assert outcomes[0][0].balance == 40
    assert isinstance(outcomes[1], InsufficientCredits)
    assert outcomes[2][0].balance == 0
    assert await _balance(platform, account_id) == 0
    assert await fetch_all(platform, select(campaigns.c.cost).order_by(campaigns.c.id)) == [
        (60,),
        (40,),
    ]


async def test_a_top_up_inside_a_group_keeps_the_order_of_the_balance(platform):
    account_id = (await make_customer(platform, credits=100)).account.id

    def top_up(conn) -> int:
        return ledger.credit(
            conn, account_id=account_id, amount=50, reason=ledger.LedgerReason.TOPUP, now_ms=1
        )

    first, topped, last = await asyncio.gather(
        platform.db.write(paying(account_id, 10)),
        platform.db.write(top_up),
        platform.db.write(paying(account_id, 5)),
    )

    assert (first[0].balance, topped, last[0].balance) == (90, 140, 135)
    assert await _balance(platform, account_id) == 135


async def test_two_processes_sending_from_one_account_take_every_debit_once(platform, settings):
    """Both processes' groups insert their sends, then debit the one account at their end:
    each waits for the other's COMMIT at most, and neither is a deadlock's victim."""
    account_id = (await make_customer(platform, credits=100)).account.id
    pause = 0.2 if platform.db.dialect == "postgresql" else 0.0  # both groups in flight
    other = Platform.open(settings)
    try:
        groups = platform.db.groups_committed
        results = await asyncio.gather(
            *(
                each.db.write(paying(account_id, 1, pause=pause if n == 19 else 0.0))
                for each in (platform, other)
                for n in range(20)
            )
        )
        if platform.db.dialect == "postgresql":
            # A deadlock's victim group would be rolled back and its works committed alone.
            assert (platform.db.groups_committed - groups, other.db.groups_committed) == (1, 1)
    finally:
        await other.close()

    # Every balance a send was told is one the account went through, each told once.
    assert sorted(debit.balance for debit, _ in results) == list(range(60, 100))
    assert await _balance(platform, account_id) == 60
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 40


async def test_a_suspended_payer_in_a_group_is_refused_alone_and_the_others_are_sent(platform):
    healthy = await make_customer(platform, credits=100)
    suspended = await make_customer(platform, email="paused@example.com", credits=100)
    await suspension.suspend(platform, actor="test", account_id=suspended.account.id)

    def send_for(account):
        return lambda conn: insert_paid_campaign_of(
            conn,
            account=account,
            campaign=campaign_row(account.id, cost=1, total=1, sent=1),
            messages=[message_row(account.id, "33612345678")],
            amount=1,
            now_ms=1,
        )

    outcomes = await asyncio.gather(
        platform.db.write(send_for(healthy.account)),
        platform.db.write(send_for(suspended.account)),
        platform.db.write(send_for(healthy.account)),
        return_exceptions=True,
    )

    assert isinstance(outcomes[1], AccountSuspended)
    assert (outcomes[0].debit.balance, outcomes[2].debit.balance) == (99, 98)
    assert await _balance(platform, suspended.account.id) == 100
    assert (
        await fetch_value(
            platform,
            select(func.count())
            .select_from(campaigns)
            .where(campaigns.c.account_id == suspended.account.id),
        )
        == 0
    )


async def test_a_group_crossing_the_alert_trigger_alerts_once(platform):
    account_id = (await make_customer(platform, credits=100)).account.id
    await balance_notifications.set_notification(
        platform, account_id=account_id, changes={"alert_trigger": "95"}
    )
    hook = await webhooks.create_webhook(
        platform, account_id=account_id, type="BALANCE_ALERT", url="https://hooks.example.com/b"
    )

    await in_one_group(platform, *(platform.db.write(paying(account_id, 3)) for _ in range(3)))

    told = await fetch_all(
        platform,
        select(webhook_events.c.webhook_id, webhook_events.c.payload).where(
            webhook_events.c.type == "BALANCE_ALERT"
        ),
    )
    assert [webhook_id for webhook_id, _ in told] == [hook.id]
    # One debit at a time the second one would cross, at 94; the group takes its three
    # together and reports the balance after them (docs/decisions.md).
    assert json.loads(told[0][1])["balance"] == "91"


def looking_up(account_id: int, amount: int, *, pause: float = 0.0):
    """A lookup's write (ledger.take), waiting `pause` s after it on PostgreSQL."""

    def work(conn) -> Debit:
        debit = ledger.take(
            conn, account_id=account_id, amount=amount, reason=ledger.LedgerReason.LOOKUP, now_ms=1
        )
        if debit is None:
            raise InsufficientCredits()
        if pause:
            conn.execute(text(f"SELECT pg_sleep({pause})"))
        return debit

    return work


async def test_lookups_and_sends_of_two_processes_never_deadlock_on_their_accounts(
    platform, settings
):
    """Each process's group debits both accounts, one by a lookup and one by a send, in
    opposite roles: a lookup debiting at once would hold its row while its group's end
    waits for the other's, which waits for it. Taken together at each group's end, in
    account order, one group waits for the other's COMMIT."""
    first = (await make_customer(platform, credits=100)).account.id
    second = (await make_customer(platform, email="second@example.com", credits=100)).account.id
    pause = 0.3 if platform.db.dialect == "postgresql" else 0.0
    other = Platform.open(settings)
    try:
        groups = platform.db.groups_committed
        here = [
            platform.db.write(looking_up(first, 1), row_order=first),
            platform.db.write(paying(second, 2, pause=pause), row_order=second),
        ]
        there = [
            other.db.write(paying(first, 2), row_order=first),
            other.db.write(looking_up(second, 1, pause=pause), row_order=second),
        ]
        await asyncio.gather(*here, *there)
        if platform.db.dialect == "postgresql":
            assert (platform.db.groups_committed - groups, other.db.groups_committed) == (1, 1)
    finally:
        await other.close()

    assert (await _balance(platform, first), await _balance(platform, second)) == (97, 97)


async def test_two_processes_overdrawing_two_accounts_keep_the_ledger_and_never_go_below_zero(
    platform, settings
):
    """Sends, lookups and top-ups for two accounts from two processes, asking more than the
    balances hold: some are refused and take nothing, no balance told or stored goes below
    zero, every balance is its ledger's sum, and one campaign per accepted send."""
    first = (await make_customer(platform, credits=20)).account.id
    second = (await make_customer(platform, email="second@example.com", credits=20)).account.id
    other = Platform.open(settings)

    def top_up(account_id: int):
        def work(conn) -> int:
            return ledger.credit(
                conn, account_id=account_id, amount=5, reason=ledger.LedgerReason.TOPUP, now_ms=1
            )

        return work

    try:
        writes = []
        for n in range(60):
            each = platform if n % 2 else other
            account_id = first if n % 3 else second
            if n % 10 == 0:
                writes.append(each.db.write(top_up(account_id)))
            elif n % 4 == 0:
                writes.append(each.db.write(looking_up(account_id, 2), row_order=account_id))
            else:
                writes.append(each.db.write(paying(account_id, 1), row_order=account_id))
        outcomes = await asyncio.gather(*writes, return_exceptions=True)
    finally:
        await other.close()

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert refused and all(isinstance(o, InsufficientCredits) for o in refused)
    told: dict[int, list[int]] = {first: [], second: []}
    for outcome in outcomes:
        debit = outcome[0] if isinstance(outcome, tuple) else outcome
        if isinstance(debit, Debit):
            told[debit.account_id].append(debit.balance)
    for account_id, balances in told.items():
        assert min(balances) >= 0
        ledger_sum = await fetch_value(
            platform,
            select(func.sum(credit_ledger.c.amount)).where(
                credit_ledger.c.account_id == account_id
            ),
        )
        assert await _balance(platform, account_id) == ledger_sum >= 0
    accepted_sends = sum(1 for o in outcomes if isinstance(o, tuple) and isinstance(o[0], Debit))
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == (
        accepted_sends
    )
