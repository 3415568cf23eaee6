"""Group reads through the database on both backends: a group's reads of one kind are one call
before its works; a write whose read could see another's work never shares its reads (on
PostgreSQL not even its group)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, insert, select, text, update
from tests.support import in_one_group, make_customer

from relais.core.errors import InvalidField
from relais.services.platform import Platform
from relais.store.advisory_locks import AdvisoryLock, LockSet
from relais.store.tables import accounts, prices
from relais.store.write_groups import GroupRead, Write, admits

SPACE = 0x7E57


class RecordingRead:
    """A group read that counts the price rows and records the keys of each call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, conn, keys: list[str]) -> list[tuple[str, int]]:
        self.calls.append(list(keys))
        count = conn.execute(select(func.count()).select_from(prices)).scalar_one()
        return [(key, count) for key in keys]


def add_price(country: str):
    def work(conn, found):
        conn.execute(insert(prices).values(country=country, credits_per_part=1))
        return found

    return work


async def test_each_work_gets_its_own_read_result(platform):
    read = RecordingRead()
    results = await in_one_group(
        platform,
        *(
            platform.db.write(add_price(country), group_read=GroupRead(read, country))
            for country in ("FR", "DE", "IT")
        ),
    )

    assert [key for key, _ in results] == ["FR", "DE", "IT"]
    # One call for the group, before any of its works ran.
    assert read.calls == [["FR", "DE", "IT"]]
    assert [count for _, count in results] == [0, 0, 0]


async def test_a_write_whose_lock_conflicts_reads_after_the_works_before_it(platform):
    read = RecordingRead()
    lock = AdvisoryLock(7, space=SPACE)

    def write(country: str, locks=()):
        return platform.db.write(
            add_price(country), locks=locks, group_read=GroupRead(read, country)
        )

    results = await in_one_group(platform, write("FR", [lock]), write("DE"), write("IT", [lock]))

    # SQLite starts a run of reads at IT, PostgreSQL a group: FR's and DE's works before it.
    assert read.calls == [["FR", "DE"], ["IT"]]
    assert [count for _, count in results] == [0, 0, 2]


async def test_writes_run_by_row_order_and_answer_their_own_callers(platform):
    def counted(country: str):
        def work(conn):
            before = conn.execute(select(func.count()).select_from(prices)).scalar_one()
            conn.execute(insert(prices).values(country=country, credits_per_part=1))
            return country, before

        return work

    results = await asyncio.gather(
        *(
            platform.db.write(counted(country), row_order=n)
            for country, n in (("FR", 3), ("DE", 1), ("IT", 2))
        )
    )

    if platform.db.dialect == "postgresql":
        assert results == [("FR", 2), ("DE", 0), ("IT", 1)]  # one group, run by row order
    else:
        assert results == [("FR", 0), ("DE", 1), ("IT", 2)]  # SQLite's writer: arrival order


async def test_a_write_whose_lock_conflicts_waits_for_the_next_group_and_sees_it(platform):
    read = RecordingRead()
    same_lock = [AdvisoryLock(1, space=SPACE)]
    results = await asyncio.gather(
        *(
            platform.db.write(
                add_price(country), locks=same_lock, group_read=GroupRead(read, country)
            )
            for country in ("FR", "DE")
        )
    )

    # Each read saw the works committed before it, on both backends.
    assert results == [("FR", 0), ("DE", 1)]
    assert read.calls == [["FR"], ["DE"]]


async def test_a_failing_work_runs_the_others_again_alone_with_their_reads(platform):
    read = RecordingRead()

    def fails(conn, found):
        raise InvalidField("no")

    outcomes = await asyncio.gather(
        platform.db.write(add_price("FR"), group_read=GroupRead(read, "FR")),
        platform.db.write(fails, group_read=GroupRead(read, "XX")),
        platform.db.write(add_price("DE"), group_read=GroupRead(read, "DE")),
        return_exceptions=True,
    )

    assert isinstance(outcomes[1], InvalidField)
    assert outcomes[0] == ("FR", 0) and outcomes[2][0] == "DE"
    countries = await platform.db.read(
        lambda conn: sorted(conn.execute(select(prices.c.country)).scalars())
    )
    assert countries == ["DE", "FR"]


def _write(*locks: AdvisoryLock, reads: bool = True) -> Write:
    return Write(lambda conn, found: None, locks, GroupRead(RecordingRead(), 0) if reads else None)


def test_a_write_with_a_read_joins_a_group_only_without_a_conflicting_lock():
    account = AdvisoryLock(7, space=SPACE, shared=True)
    held = LockSet([account, AdvisoryLock(-1)])  # a single send's, to number -1

    assert admits(held, _write(account, AdvisoryLock(-2)))  # another number
    assert not admits(held, _write(account, AdvisoryLock(-1)))  # the same number
    assert not admits(held, _write(AdvisoryLock(7, space=SPACE)))  # the account, exclusive
    assert admits(held, _write(AdvisoryLock(-1), reads=False))  # reads in its own turn
    assert admits(held, _write())  # no lock: its read depends on no other write


async def test_two_processes_debiting_the_same_accounts_in_opposite_orders_never_deadlock(
    platform, settings
):
    """Each group debits two accounts, arrived in opposite orders in two processes, and
    holds each row a while: run in arrival order they would deadlock (and wait 1 s for
    PostgreSQL to notice); run by row order, one waits for the other."""
    if platform.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer: its transactions never deadlock")
    first_id = (await make_customer(platform, email="first@example.com")).account.id
    second_id = (await make_customer(platform, email="second@example.com")).account.id

    def debit(account_id: int):
        def work(conn):
            conn.execute(
                update(accounts)
                .where(accounts.c.id == account_id)
                .values(balance=accounts.c.balance - 1)
            )
            conn.execute(text("SELECT pg_sleep(0.3)"))

        return work

    other = Platform.open(settings)
    try:
        arrivals = [(platform, (first_id, second_id)), (other, (second_id, first_id))]
        before = platform.db.groups_committed
        await asyncio.gather(
            *(
                each.db.write(debit(account_id), row_order=account_id)
                for each, order in arrivals
                for account_id in order
            )
        )
        # A deadlock's victim group would be rolled back and its writes committed alone.
        assert (platform.db.groups_committed - before, other.db.groups_committed) == (1, 1)
    finally:
        await other.close()
    balances = await platform.db.read(
        lambda conn: (
            conn.execute(select(accounts.c.balance).where(accounts.c.id.in_([first_id, second_id])))
            .scalars()
            .all()
        )
    )
    assert balances == [98, 98]
