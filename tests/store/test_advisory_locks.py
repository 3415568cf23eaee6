"""Advisory locks a write declares: PostgreSQL takes a group's locks in one statement, in one
order, before the works run, and holds them to the commit; SQLite runs the work without."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from relais.store import advisory_locks
from relais.store.advisory_locks import AdvisoryLock, LockSet

SPACE = 0x7E57
_HELD = text(
    "SELECT classid, objid, objsubid, mode FROM pg_locks"
    " WHERE locktype = 'advisory' AND pid = pg_backend_pid() ORDER BY objsubid, objid"
)
_TRY_TWO = text("SELECT pg_try_advisory_lock(:space, :key)")
_TRY_ONE = text("SELECT pg_try_advisory_lock(:key)")


def postgres_only(platform) -> None:
    if platform.db.dialect != "postgresql":
        pytest.skip("SQLite's single writer takes no advisory lock")


async def test_a_write_runs_holding_the_locks_it_declared(platform):
    postgres_only(platform)
    locks = [AdvisoryLock(7, space=SPACE, shared=True), AdvisoryLock(-123_456_789_012)]

    held = await platform.db.write(lambda conn: conn.execute(_HELD).all(), locks=locks)

    # One-key locks split a 64-bit key into its high and low words (objsubid 1);
    # two-key locks keep the space and the key (objsubid 2).
    high, low = divmod(-123_456_789_012 % 2**64, 2**32)
    assert held == [(high, low, 1, "ExclusiveLock"), (SPACE, 7, 2, "ShareLock")]


async def test_the_first_write_of_a_group_already_holds_the_locks_of_all(platform):
    postgres_only(platform)
    before = platform.db.groups_committed
    writes = [
        platform.db.write(
            lambda conn: conn.execute(_HELD).all(), locks=[AdvisoryLock(n, space=SPACE)]
        )
        for n in (1, 2, 3)
    ]
    results = await asyncio.gather(*writes)

    assert platform.db.groups_committed == before + 1  # the three shared one transaction
    assert {objid for _, objid, _, _ in results[0]} == {1, 2, 3}


async def test_a_lock_asked_shared_and_exclusive_is_taken_exclusive(platform):
    postgres_only(platform)

    def take_both(conn):
        advisory_locks.take(
            conn, [AdvisoryLock(9, space=SPACE, shared=True), AdvisoryLock(9, space=SPACE)]
        )
        return conn.execute(_HELD).all()

    assert await platform.db.write(take_both) == [(SPACE, 9, 2, "ExclusiveLock")]


async def test_locks_are_taken_in_key_order_whatever_the_order_declared(platform, other_session):
    """Two groups that declare shared locks in opposite orders must not each hold one and
    wait for the other: with key 1 held elsewhere, a write declaring [2, 1] waits for 1
    before it takes 2, so 2 stays free meanwhile."""
    postgres_only(platform)
    assert (await other_session.execute(_TRY_TWO, {"space": SPACE, "key": 1})).scalar()
    waiting = asyncio.ensure_future(
        platform.db.write(
            lambda conn: "done",
            locks=[AdvisoryLock(2, space=SPACE), AdvisoryLock(1, space=SPACE)],
        )
    )
    await asyncio.sleep(0.5)
    assert not waiting.done()
    free = await other_session.execute(_TRY_TWO, {"space": SPACE, "key": 2})
    assert free.scalar() is True
    await other_session.execute(text("SELECT pg_advisory_unlock_all()"))
    assert await asyncio.wait_for(waiting, timeout=10) == "done"


async def test_one_key_locks_come_after_two_key_locks(platform, other_session):
    """The flood locks' order: the account's (two-key) before its numbers' (one-key)."""
    postgres_only(platform)
    assert (await other_session.execute(_TRY_TWO, {"space": SPACE, "key": 5})).scalar()
    waiting = asyncio.ensure_future(
        platform.db.write(
            lambda conn: "done",
            locks=[AdvisoryLock(-1), AdvisoryLock(5, space=SPACE, shared=True)],
        )
    )
    await asyncio.sleep(0.5)
    assert not waiting.done()
    assert (await other_session.execute(_TRY_ONE, {"key": -1})).scalar() is True
    await other_session.execute(text("SELECT pg_advisory_unlock_all()"))
    assert await asyncio.wait_for(waiting, timeout=10) == "done"


async def test_the_locks_are_let_go_at_the_commit(platform, other_session):
    postgres_only(platform)
    await platform.db.write(lambda conn: None, locks=[AdvisoryLock(4, space=SPACE)])
    assert (await other_session.execute(_TRY_TWO, {"space": SPACE, "key": 4})).scalar() is True


async def test_sqlite_runs_a_write_that_declares_locks(platform):
    if platform.db.dialect != "sqlite":
        pytest.skip("PostgreSQL takes the locks (tests above)")
    result = await platform.db.write(
        lambda conn: conn.execute(text("SELECT 1")).scalar(),
        locks=[AdvisoryLock(1, space=SPACE)],
    )
    assert result == 1


def test_locks_conflict_when_one_of_them_is_exclusive():
    shared = AdvisoryLock(3, space=SPACE, shared=True)
    exclusive = AdvisoryLock(3, space=SPACE)

    assert not LockSet([shared]).conflicts([shared])
    assert LockSet([shared]).conflicts([exclusive])
    assert LockSet([exclusive]).conflicts([shared])
    assert not LockSet([exclusive]).conflicts([AdvisoryLock(3)])  # a one-key lock: another space
    assert not LockSet([exclusive]).conflicts([AdvisoryLock(4, space=SPACE)])
