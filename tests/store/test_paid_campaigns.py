"""A send's writes on both backends (one statement on PostgreSQL): campaign, debit, ledger row
and messages together, or, when the debit is refused, None and nothing once rolled back."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from tests.support import (
    campaign_row,
    fetch_all,
    fetch_value,
    in_one_group,
    make_customer,
    message_row,
)

from relais.store import group_debits
from relais.store.moderation import campaigns_sent
from relais.store.paid_campaigns import insert_paid_campaign
from relais.store.screening import flood_locks
from relais.store.tables import accounts, campaigns, credit_ledger, messages
from relais.store.write_groups import GroupRead


class _Refused(Exception):
    """Raised to roll the test's transaction back, as a send does when the debit is refused."""


async def _balance(platform, account_id: int) -> int:
    return await fetch_value(
        platform, select(accounts.c.balance).where(accounts.c.id == account_id)
    )


async def test_campaign_messages_debit_and_ledger_row_are_stored_together(platform, customer):
    account_id = customer.account.id
    rows = [
        message_row(account_id, "33612345678", gsmsmsid="a-1"),
        message_row(account_id, "33612345679", text="merged for Ana", cost=2, parts=2),
    ]

    paid = await platform.db.write(
        lambda conn: insert_paid_campaign(
            conn,
            campaign=campaign_row(account_id, cost=3, total=2, sent=2, tag="promo"),
            messages=rows,
            payer=account_id,
            amount=3,
            now_ms=42,
        )
    )

    assert paid is not None
    campaign_id, debit = paid.campaign_id, paid.debit
    assert (debit.account_id, debit.amount, debit.balance) == (account_id, 3, 97)
    assert await _balance(platform, account_id) == 97
    stored = await fetch_all(
        platform,
        select(
            messages.c.campaign_id,
            messages.c.destination,
            messages.c.gsmsmsid,
            messages.c.text,
            messages.c.parts,
            messages.c.cost,
            messages.c.attempts,
        ).order_by(messages.c.id),
    )
    assert stored == [
        (campaign_id, "33612345678", "a-1", None, 1, 1, 0),
        (campaign_id, "33612345679", None, "merged for Ana", 2, 2, 0),
    ]
    assert await fetch_all(
        platform, select(campaigns.c.id, campaigns.c.tag, campaigns.c.cost, campaigns.c.flood)
    ) == [(campaign_id, "promo", 3, 0)]
    assert await fetch_all(
        platform,
        select(
            credit_ledger.c.amount,
            credit_ledger.c.reason,
            credit_ledger.c.campaign_id,
            credit_ledger.c.created_at,
        ).where(credit_ledger.c.reason == "campaign"),
    ) == [(-3, "campaign", campaign_id, 42)]


async def test_a_debit_the_balance_does_not_cover_returns_none_and_rolls_back_to_nothing(
    platform, customer
):
    account_id = customer.account.id

    def send_too_much(conn):
        paid = insert_paid_campaign(
            conn,
            campaign=campaign_row(account_id, cost=101),
            messages=[message_row(account_id, "33612345678", cost=101)],
            payer=account_id,
            amount=101,
            now_ms=42,
        )
        assert paid is None
        raise _Refused

    with pytest.raises(_Refused):
        await platform.db.write(send_too_much)

    assert await _balance(platform, account_id) == 100
    assert await fetch_value(platform, select(func.count()).select_from(campaigns)) == 0
    assert await fetch_value(platform, select(func.count()).select_from(messages)) == 0


async def test_a_free_campaign_writes_no_ledger_row(platform, customer):
    account_id = customer.account.id
    before = await fetch_value(platform, select(func.count()).select_from(credit_ledger))

    paid = await platform.db.write(
        lambda conn: insert_paid_campaign(
            conn, campaign=campaign_row(account_id), payer=account_id, amount=0, now_ms=42
        )
    )

    assert paid is not None and paid.debit.balance == 100
    assert await fetch_value(platform, select(func.count()).select_from(credit_ledger)) == before
    assert await fetch_value(platform, select(func.count()).select_from(messages)) == 0


async def test_ten_thousand_messages_are_stored_in_one_call(platform, customer):
    account_id = customer.account.id
    rows = [message_row(account_id, f"3361{n:07d}", cost=0) for n in range(10_000)]

    paid = await platform.db.write(
        lambda conn: insert_paid_campaign(
            conn,
            campaign=campaign_row(account_id),
            messages=rows,
            payer=account_id,
            amount=0,
            now_ms=1,
        )
    )

    assert paid is not None
    assert await fetch_all(
        platform,
        select(messages.c.campaign_id, func.count(), func.min(messages.c.destination)).group_by(
            messages.c.campaign_id
        ),
    ) == [(paid.campaign_id, 10_000, "33610000000")]


def _deferrable_send(account_id: int, recipients: int, seen: list[bool]):
    """A send that lets its insert be deferred, noting whether its campaign id was known
    inside its work."""

    def work(conn):
        paid = insert_paid_campaign(
            conn,
            campaign=campaign_row(
                account_id, cost=recipients, total=recipients, sent=recipients, tag=f"n{recipients}"
            ),
            messages=[message_row(account_id, f"336100000{n:02d}") for n in range(recipients)],
            payer=account_id,
            amount=recipients,
            now_ms=7,
            defer_insert=True,
        )
        assert paid is not None
        try:
            known = paid.campaign_id > 0
        except RuntimeError:
            known = False
        seen.append(known)
        return paid

    return work


async def test_a_groups_deferred_sends_each_get_their_campaign_ledger_row_and_messages(
    platform, customer
):
    account_id = customer.account.id
    known_inside: list[bool] = []

    paids = await in_one_group(
        platform,
        *(platform.db.write(_deferrable_send(account_id, n, known_inside)) for n in (1, 3, 0, 2)),
    )

    # The four meet in one group and are inserted together at its end.
    assert known_inside == [False] * 4
    ids = {paid.campaign_id for paid in paids}
    assert len(ids) == 4
    assert await fetch_all(
        platform, select(campaigns.c.id, campaigns.c.tag).order_by(campaigns.c.id)
    ) == sorted((paid.campaign_id, f"n{n}") for paid, n in zip(paids, (1, 3, 0, 2), strict=True))
    assert sorted(
        await fetch_all(
            platform,
            select(messages.c.campaign_id, func.count()).group_by(messages.c.campaign_id),
        )
    ) == sorted(
        (paid.campaign_id, n) for paid, n in zip(paids[:2] + paids[3:], (1, 3, 2), strict=True)
    )
    assert sorted(
        await fetch_all(
            platform,
            select(
                credit_ledger.c.campaign_id, credit_ledger.c.amount, credit_ledger.c.created_at
            ).where(credit_ledger.c.reason == "campaign"),
        )
    ) == sorted(
        (paid.campaign_id, -n, 7) for paid, n in zip(paids[:2] + paids[3:], (1, 3, 2), strict=True)
    )
    assert [paid.debit.balance for paid in paids] == [99, 96, 96, 94]
    assert await _balance(platform, account_id) == 94


async def test_a_write_after_deferred_sends_in_their_group_reads_them(platform, customer):
    account_id = customer.account.id
    seen: list[bool] = []

    def count_campaigns(conn) -> int:
        return conn.execute(select(func.count()).select_from(campaigns)).scalar_one()

    def count_with_a_group_read(conn, _found) -> int:
        return campaigns_sent(conn, account_id=account_id, up_to=10)

    nothing = GroupRead(lambda conn, keys: [None] * len(keys), key=0)
    outcomes = await in_one_group(
        platform,
        platform.db.write(_deferrable_send(account_id, 1, seen)),
        platform.db.write(_deferrable_send(account_id, 2, seen)),
        platform.db.write(count_campaigns),
        platform.db.write(_deferrable_send(account_id, 3, seen)),
        platform.db.write(count_with_a_group_read, group_read=nothing),
    )

    # A write without a group read runs after the sends before it are inserted; the
    # moderation's count of earlier campaigns inserts them itself.
    assert seen[:2] == [False, False]
    assert (outcomes[2], outcomes[4]) == (2, 3)


async def test_a_send_whose_read_depends_on_deferred_sends_reads_them_inserted(platform, customer):
    """Two single sends to one number hold conflicting locks (their anti-flood counts): the
    second's read sees the first's message, a send to another number reads before it."""
    account_id = customer.account.id
    counted: list[int] = []

    def count_messages(conn, keys) -> list[int]:
        return [conn.execute(select(func.count()).select_from(messages)).scalar_one()] * len(keys)

    def send_to(number: str):
        send = _deferrable_send(account_id, 1, [])

        def work(conn, found: int):
            counted.append(found)
            return send(conn)

        return platform.db.write(
            work,
            locks=flood_locks(account_id, number),
            group_read=GroupRead(count_messages, key=number),
        )

    def bulk_send():  # no group read: it reads in its work; all of the account's numbers
        return platform.db.write(_deferrable_send(account_id, 3, []), locks=flood_locks(account_id))

    await in_one_group(platform, send_to("33612345678"), send_to("33698765432"))
    await in_one_group(
        platform, send_to("33611111111"), send_to("33622222222"), send_to("33611111111")
    )
    await in_one_group(platform, bulk_send(), send_to("33633333333"))

    assert counted == [0, 0, 2, 2, 4, 8]


async def test_a_groups_deferred_sends_take_their_debits_with_their_inserts(
    platform, customer, monkeypatch
):
    """On PostgreSQL the group's last insert also takes its debits: the debits' own
    statement is not run (here it would fail)."""
    account_id = customer.account.id

    class Unused:
        def rows(self, conn, params):
            raise AssertionError("the group's debits took a statement of their own")

    if platform.db.dialect == "postgresql":
        monkeypatch.setattr(group_debits, "_SETTLE", Unused())
    before = platform.db.groups_committed
    paids = await in_one_group(
        platform, *(platform.db.write(_deferrable_send(account_id, n, [])) for n in (2, 3))
    )

    assert platform.db.groups_committed - before == 1  # not run again alone
    assert [paid.debit.balance for paid in paids] == [98, 95]
    assert await _balance(platform, account_id) == 95


async def test_a_group_of_deferred_sends_its_balance_does_not_cover_runs_each_alone(platform):
    account_id = (await make_customer(platform, credits=5)).account.id

    outcomes = await in_one_group(
        platform, *(platform.db.write(_deferrable_send(account_id, n, [])) for n in (3, 3, 2))
    )

    assert outcomes[0].debit.balance == 2
    assert isinstance(outcomes[1], AssertionError)  # its debit refused: no Paid
    assert outcomes[2].debit.balance == 0
    assert await _balance(platform, account_id) == 0
    assert await fetch_all(
        platform,
        select(campaigns.c.tag)
        .where(campaigns.c.account_id == account_id)
        .order_by(campaigns.c.id),
    ) == [("n3",), ("n2",)]
