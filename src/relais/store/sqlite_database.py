"""The embedded default: SQLite, one writer thread per process, group commit.

A writer thread owns the only write connection and commits groups of writes; reads run on a
small pool of reader threads (WAL lets them run beside the writer). Processes that share the
file take turns through `WriterTurn` (store.database has the whole contract). With
`synchronous=FULL`, the WAL is synced after the turn is let go (store.wal_sync).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from relais.core.errors import StorageError
from relais.store.advisory_locks import AdvisoryLock
from relais.store.storage_errors import storage_errors
from relais.store.wal_sync import WalFile, WalSyncer
from relais.store.write_groups import GROUP_LIMIT, GroupRead, Work, Write, run_group

T = TypeVar("T")


def _sqlite_engine(path: Path, *, writer: bool, synchronous: str):
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool if writer else None)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so BEGIN is ours (see SQLAlchemy docs,
        # "Serializable isolation / Savepoints / Transactional DDL" for pysqlite).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock up front so a group never fails half-way on SQLITE_BUSY.
        # On the driver's connection: through exec_driver_sql it cost ~25 µs a transaction.
        driver_connection = conn.connection.driver_connection
        assert driver_connection is not None, "a Connection beginning holds its driver connection"
        try:
            driver_connection.execute(begin)
        except sqlite3.Error as exc:
            raise DBAPIError.instance(begin, (), exc, sqlite3.Error) from exc

    return engine


class _Job:
    __slots__ = ("future", "loop", "write")

    def __init__(self, write: Write, loop: asyncio.AbstractEventLoop) -> None:
        self.write = write
        self.loop = loop
        self.future: asyncio.Future[Any] = loop.create_future()


def _settle(jobs: list[_Job], outcomes: list[tuple[bool, Any]]) -> None:
    for job, (ok, value) in zip(jobs, outcomes, strict=True):
        if job.future.done():
            continue
        if ok:
            job.future.set_result(value)
        else:
            job.future.set_exception(value)


class WriterTurn:
    """Whose turn it is to write, among the processes that share one SQLite file.

    SQLite's own lock is polled: a process that finds it taken sleeps 1, 2, 5 ... up to
    100 ms before it looks again, and a process that writes without pause (an API worker
    under load) takes it back every time, so the other (the delivery process) starves.
    Each writer first takes an flock on a file beside the database: a waiter sleeps in the
    kernel and is woken the instant the lock is let go, then SQLite's lock is always free."""

    def __init__(self, database: Path) -> None:
        self._fd = os.open(f"{database}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)

    def __enter__(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path, *, synchronous: str = "FULL", readers: int = 4) -> None:
        self.path = path
        # FULL's sync is ours, made outside the write lock (store.wal_sync); SQLite's own
        # commits then need NORMAL's, which still syncs around every checkpoint.
        self._syncer = WalSyncer(WalFile(path)) if synchronous == "FULL" else None
        connection_synchronous = "NORMAL" if self._syncer is not None else synchronous
        self._write_engine = _sqlite_engine(path, writer=True, synchronous=connection_synchronous)
        self._read_engine = _sqlite_engine(path, writer=False, synchronous=connection_synchronous)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="relais-sqlite-read")
        # Each reader thread keeps its connection: a checkout from the pool and its reset on
        # return cost ~50 µs a read, more than most reads themselves.
        self._reader_connection = threading.local()
        self._reader_connections: list[Connection] = []
        self._turn = WriterTurn(path)
        self._writer = threading.Thread(target=self._write_loop, name="relais-sqlite-writer")
        self._writer.daemon = True
        self._writer.start()
        self.groups_committed = 0
        self.works_committed = 0
        # Seconds this process waited for the write turn, and held it (its share of the one
        # write lock: what bounds the sends per second of all processes together).
        self.turn_wait_seconds = 0.0
        self.write_seconds = 0.0

    @property
    def syncs(self) -> int:
        """WAL syncs made after commits (store.wal_sync); 0 unless `synchronous=FULL`."""
        return self._syncer.syncs if self._syncer is not None else 0

    @property
    def sync_seconds(self) -> float:
        return self._syncer.sync_seconds if self._syncer is not None else 0.0

    async def write(
        self,
        work: Callable[..., T],
        *,
        lane: str = "default",
        locks: Sequence[AdvisoryLock] = (),
        group_read: GroupRead | None = None,
        row_order: int = 0,
    ) -> T:
        # One writer serves every lane, and holds the one write lock: no advisory lock needed.
        job = _Job(Write(work, locks, group_read, row_order), asyncio.get_running_loop())
        self._jobs.put(job)
        return await job.future

    async def read(self, work: Work[T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._run_read, work)

    def _run_read(self, work: Work[T]) -> T:
        with storage_errors():
            conn = getattr(self._reader_connection, "conn", None)
            if conn is None:
                conn = self._reader_connection.conn = self._read_engine.connect()
                self._reader_connections.append(conn)  # list.append is atomic: closed in close()
            with conn.begin():
                return work(conn)

    async def close(self) -> None:
        self._jobs.put(None)
        await asyncio.get_running_loop().run_in_executor(None, self._writer.join)
        if self._syncer is not None:
            self._syncer.close()
        self._readers.shutdown(wait=True)
        for conn in self._reader_connections:
            conn.close()
        self._write_engine.dispose()
        self._read_engine.dispose()
        self._turn.close()

    # --- the writer thread -------------------------------------------------------------

    def _write_loop(self) -> None:
        conn = self._write_engine.connect()
        try:
            while True:
                first = self._jobs.get()
                if first is None:
                    return
                # The group is gathered once the turn is ours: what arrived while another
                # process held it joins this commit instead of waiting for the next one.
                asked = time.perf_counter()
                with self._turn:
                    taken = time.perf_counter()
                    group, stop = self._gather(first)
                    outcomes = self._run_group_in_turn(conn, group)
                self.turn_wait_seconds += taken - asked
                self.write_seconds += time.perf_counter() - taken
                self._committed(group, outcomes)  # the turn let go of first: others may write
                if stop:
                    return
        finally:
            conn.close()

    def _gather(self, first: _Job) -> tuple[list[_Job], bool]:
        """`first` and the jobs queued behind it, up to GROUP_LIMIT; and whether the queue
        asked the writer to stop."""
        group = [first]
        while len(group) < GROUP_LIMIT:
            try:
                nxt = self._jobs.get_nowait()
            except queue.Empty:
                break
            if nxt is None:
                return group, True
            group.append(nxt)
        return group, False

    def _run_group_in_turn(self, conn: Connection, group: list[_Job]) -> list[tuple[bool, Any]]:
        try:
            with conn.begin():
                writes = [job.write for job in group]
                outcomes = [(True, r) for r in run_group(conn, writes)]
        except Exception:
            if len(group) == 1:
                outcomes = [self._run_alone(conn, group[0])]
            else:
                outcomes = [self._run_alone(conn, job) for job in group]
        else:
            self.groups_committed += 1
            self.works_committed += len(group)
        return outcomes

    def _run_alone(self, conn: Connection, job: _Job) -> tuple[bool, Any]:
        try:
            with storage_errors(), conn.begin():
                result = run_group(conn, [job.write])[0]
        except Exception as exc:
            if conn.in_transaction():
                conn.rollback()
            return (False, exc)
        self.groups_committed += 1
        self.works_committed += 1
        return (True, result)

    def _committed(self, group: list[_Job], outcomes: list[tuple[bool, Any]]) -> None:
        """Publish the group's outcomes once durable: at once, or after the syncer's next
        sync (its failure fails the group's writes: their callers must not hear they are
        safe)."""
        if self._syncer is None:
            self._publish(group, outcomes)
            return

        def publish(error: BaseException | None) -> None:
            if error is None:
                self._publish(group, outcomes)
                return
            failed = StorageError(f"database error: the WAL could not be synced ({error})")
            self._publish(group, [(False, failed)] * len(group))

        self._syncer.committed(publish)

    @staticmethod
    def _publish(group: list[_Job], outcomes: list[tuple[bool, Any]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, tuple[list[_Job], list[tuple[bool, Any]]]] = {}
        for job, outcome in zip(group, outcomes, strict=True):
            jobs, outs = by_loop.setdefault(job.loop, ([], []))
            jobs.append(job)
            outs.append(outcome)
        for loop, (jobs, outs) in by_loop.items():
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(_settle, jobs, outs)
