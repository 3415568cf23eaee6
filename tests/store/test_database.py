"""The unit-of-work runner on both backends, and SQLite's group commit."""

from __future__ import annotations

import asyncio
import fcntl
import os
import time

import pytest
from sqlalchemy import func, insert, select, text

from relais.core.errors import InvalidField, StorageError
from relais.store.migrate import upgrade
from relais.store.postgres_database import ATTEMPTS
from relais.store.sqlite_database import SqliteDatabase
from relais.store.tables import prices


def add_price(country: str):
    return lambda conn: conn.execute(insert(prices).values(country=country, credits_per_part=1))


def count_prices(conn) -> int:
    return conn.execute(select(func.count()).select_from(prices)).scalar_one()


async def test_write_is_visible_to_the_next_read(platform):
    await platform.db.write(add_price("FR"))
    assert await platform.db.read(count_prices) == 1


async def test_a_failing_work_rolls_back_alone(platform):
    def fails(conn):
        add_price("DE")(conn)
        raise InvalidField("no")

    works = [add_price(c) for c in ("FR", "IT", "ES", "PT")]
    results = await asyncio.gather(
        *(platform.db.write(w) for w in [works[0], works[1], fails, works[2], works[3]]),
        return_exceptions=True,
    )
    assert isinstance(results[2], InvalidField)
    assert sum(isinstance(r, Exception) for r in results) == 1
    countries = await platform.db.read(
        lambda conn: sorted(conn.execute(select(prices.c.country)).scalars())
    )
    assert countries == ["ES", "FR", "IT", "PT"]


async def test_every_read_sees_the_writes_committed_before_it_whatever_reader_runs_it(platform):
    """SQLite's reader threads keep their connections between reads: none may keep the
    snapshot of an earlier read, nor a read that failed leave its transaction open."""

    def fails(conn):
        count_prices(conn)
        raise InvalidField("no")

    for n, country in enumerate(("FR", "DE", "IT", "ES", "PT", "NL"), start=1):
        with pytest.raises(InvalidField):
            await platform.db.read(fails)
        await platform.db.write(add_price(country))
        counts = await asyncio.gather(*(platform.db.read(count_prices) for _ in range(8)))
        assert counts == [n] * 8


async def test_driver_errors_become_storage_errors(platform):
    await platform.db.write(add_price("FR"))
    with pytest.raises(StorageError):
        await platform.db.write(add_price("FR"))  # duplicate primary key


async def test_concurrent_writes_share_commits(platform):
    codes = [f"{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(400)]
    await asyncio.gather(*(platform.db.write(add_price(c)) for c in codes))
    assert await platform.db.read(count_prices) == 400
    assert platform.db.works_committed == 400
    assert platform.db.groups_committed < 400  # several works shared one COMMIT


async def test_sqlite_writes_from_another_process_wait_for_the_lock(tmp_path, sqlite_template):
    import shutil

    path = tmp_path / "two.db"
    shutil.copy(sqlite_template, path)
    first, second = SqliteDatabase(path), SqliteDatabase(path)
    try:
        await asyncio.gather(
            *(db.write(add_price(f"A{chr(65 + i)}")) for i, db in enumerate([first, second] * 10))
        )
        assert await first.read(count_prices) == 20
    finally:
        await first.close()
        await second.close()


# PostgreSQL answers a deadlock's victim with SQLSTATE 40P01; a PL/pgSQL RAISE gives the
# same error through the same driver path, on the attempts a test chooses.
_DEADLOCK = text(
    "DO $$ BEGIN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = 'deadlock_detected'; END $$"
)


def deadlocked_on_first(attempts: list[int], victims: int, country: str):
    """A work that is a deadlock's victim on its first `victims` runs, then adds a price."""

    def work(conn):
        attempts.append(1)
        add_price(country)(conn)
        if len(attempts) <= victims:
            conn.execute(_DEADLOCK)
        return len(attempts)

    return work


def postgres_only(platform) -> None:
    if platform.db.dialect != "postgresql":
        pytest.skip("SQLite has one writer: its transactions never deadlock")


async def test_a_deadlock_victim_is_run_again_until_it_commits(platform):
    postgres_only(platform)
    attempts: list[int] = []
    # The group's transaction, then two runs of the work alone, are victims.
    result = await platform.db.write(deadlocked_on_first(attempts, 3, "FR"))
    assert result == 4
    assert await platform.db.read(count_prices) == 1
    assert platform.db.retries == 2


async def test_a_work_that_keeps_deadlocking_fails_after_the_last_attempt(platform):
    postgres_only(platform)
    attempts: list[int] = []
    with pytest.raises(StorageError):
        await platform.db.write(deadlocked_on_first(attempts, 100, "FR"))
    assert len(attempts) == 1 + ATTEMPTS  # the group, then each attempt alone
    assert await platform.db.read(count_prices) == 0


async def test_other_driver_errors_are_not_run_again(platform):
    postgres_only(platform)
    await platform.db.write(add_price("FR"))
    attempts: list[int] = []

    def duplicate(conn):
        attempts.append(1)
        add_price("FR")(conn)

    with pytest.raises(StorageError):
        await platform.db.write(duplicate)
    assert len(attempts) == 2  # the group, then once alone
    assert platform.db.retries == 0


async def test_a_sqlite_writer_waits_its_turn_and_writes_the_moment_it_is_free(tmp_path):
    """Processes sharing one SQLite file take turns through an flock beside it, so a busy
    writer elsewhere delays this one only as long as it holds the turn. The wait is counted
    apart from the writing: the two figures tell an operator who holds the write lock."""
    path = tmp_path / "turns.db"
    await upgrade(f"sqlite:///{path}")
    database = SqliteDatabase(path)
    other = os.open(f"{path}-writer.lock", os.O_RDWR)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)  # another process writing
        write = asyncio.ensure_future(
            database.write(lambda conn: conn.exec_driver_sql("SELECT 1").scalar())
        )
        await asyncio.sleep(0.3)
        assert not write.done()
        fcntl.flock(other, fcntl.LOCK_UN)
        assert await asyncio.wait_for(write, 5) == 1
        assert database.turn_wait_seconds >= 0.25
        assert 0 < database.write_seconds < 0.25
    finally:
        os.close(other)
        await database.close()


async def test_the_writer_counts_its_seconds_in_write_transactions(platform):
    before = platform.db.write_seconds

    def slow_write(conn):
        add_price("IT")(conn)
        time.sleep(0.05)  # a work that takes its time inside the transaction

    await platform.db.write(slow_write)
    assert platform.db.write_seconds - before >= 0.05
