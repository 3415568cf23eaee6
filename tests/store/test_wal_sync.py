"""SQLite's FULL durability, with the WAL synced after the write turn is let go."""

from __future__ import annotations

import asyncio
import errno
import fcntl
import os
import threading
import time

import pytest

from relais.core.errors import StorageError
from relais.store.migrate import upgrade
from relais.store.sqlite_database import SqliteDatabase
from relais.store.wal_sync import WalFile


def synchronous_setting(conn) -> int:
    return conn.exec_driver_sql("PRAGMA synchronous").scalar()


@pytest.fixture
async def database_path(tmp_path):
    path = tmp_path / "relais.db"
    await upgrade(f"sqlite:///{path}")
    return path


class SyncRecorder:
    """os.fdatasync as it is, noting which files it synced; `delay` holds each sync back
    after it began (a slow disk)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.real = os.fdatasync
        self.delay = delay
        self.synced: list[str] = []
        self.began = threading.Event()

    def __call__(self, fd: int) -> None:
        self.began.set()
        time.sleep(self.delay)
        self.synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        self.real(fd)


async def test_a_write_is_answered_only_once_the_wal_is_synced_and_the_turn_is_free_meanwhile(
    database_path, monkeypatch
):
    """The sync runs after the writer let go of the write turn: another process may write
    during it, while this write's caller still waits for its data to be on disk."""
    recorder = SyncRecorder(delay=0.3)
    monkeypatch.setattr(os, "fdatasync", recorder)
    database = SqliteDatabase(database_path)
    other = os.open(f"{database_path}-writer.lock", os.O_RDWR)
    try:
        write = asyncio.ensure_future(
            database.write(lambda conn: conn.exec_driver_sql("SELECT 1").scalar())
        )
        assert await asyncio.to_thread(recorder.began.wait, 5)
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if the turn were held
        fcntl.flock(other, fcntl.LOCK_UN)
        assert not write.done()
        assert await asyncio.wait_for(write, 5) == 1
        assert recorder.synced == [f"{database_path}-wal"]
    finally:
        os.close(other)
        await database.close()


async def test_groups_committed_during_a_sync_share_the_next_one(database_path, monkeypatch):
    recorder = SyncRecorder(delay=0.1)
    monkeypatch.setattr(os, "fdatasync", recorder)
    database = SqliteDatabase(database_path)
    try:
        writes = []
        for _ in range(10):  # one group each, committed while a slow sync runs
            writes.append(
                asyncio.ensure_future(database.write(lambda conn: conn.exec_driver_sql("SELECT 1")))
            )
            await asyncio.sleep(0.02)
        await asyncio.gather(*writes)
        assert database.groups_committed == 10
        assert 2 <= len(recorder.synced) <= 5
        assert database.syncs == len(recorder.synced)  # what /metrics reports
        assert database.sync_seconds >= 0.1 * database.syncs
    finally:
        await database.close()


async def test_a_failed_sync_fails_the_writes_it_was_to_make_durable(database_path, monkeypatch):
    def broken_disk(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", broken_disk)
    database = SqliteDatabase(database_path)
    try:
        with pytest.raises(StorageError, match="WAL could not be synced"):
            await database.write(lambda conn: conn.exec_driver_sql("SELECT 1"))
    finally:
        await database.close()


@pytest.mark.parametrize(
    ("asked", "connection", "relais_syncs"),
    [("FULL", 1, True), ("NORMAL", 1, False), ("OFF", 0, False)],
)
async def test_full_is_normal_for_sqlite_with_relais_syncing_and_other_settings_are_sqlites(
    database_path, monkeypatch, asked, connection, relais_syncs
):
    recorder = SyncRecorder()
    monkeypatch.setattr(os, "fdatasync", recorder)
    database = SqliteDatabase(database_path, synchronous=asked)
    try:
        assert await database.write(synchronous_setting) == connection
        assert bool(recorder.synced) is relais_syncs
        assert (database.syncs > 0) is relais_syncs
    finally:
        await database.close()


def test_the_wal_file_is_reopened_when_replaced_and_missing_is_nothing_to_sync(tmp_path):
    wal = WalFile(tmp_path / "relais.db")
    wal.sync()  # no WAL yet: no error
    wal.path.write_bytes(b"first")
    wal.sync()
    first = os.fstat(wal._current()).st_ino
    wal.path.unlink()
    wal.sync()
    wal.path.write_bytes(b"second")
    wal.sync()
    assert os.fstat(wal._current()).st_ino == os.stat(wal.path).st_ino != first
    wal.close()
