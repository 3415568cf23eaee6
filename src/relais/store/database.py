"""
One way to run a unit of work on either backend.

A unit of work is a plain function `work(conn) -> T` over a SQLAlchemy Core `Connection`;
queries in store/ are written once that way. Callers `await db.write(work)` or
`await db.read(work)` and never see which backend runs it. A write may name a `lane`:
works in different lanes touch different rows and may commit in parallel where the backend
allows it (PostgreSQL); delivery bookkeeping uses its own lane so it never waits behind sends.

Writes are group-committed on both backends: works that arrive while a transaction is busy
wait, then run together in the next transaction, and each caller gets its answer only after
the COMMIT that contains its work. One COMMIT (one fsync, and on PostgreSQL one hold of a
hot account row) then serves many requests. If a work in a group raises, the group is rolled
back and each of its works runs again in a transaction of its own, so a failure never leaks
into a neighbour; works must therefore touch nothing but the database. On PostgreSQL a work
that is, alone, a deadlock's victim runs again (up to ATTEMPTS times): two groups of two
processes can take the same locks in different orders.

A write may also declare the advisory locks it must hold before it reads (`locks`,
store.advisory_locks), a read its work needs first (`group_read`) and the order its row
locks call for (`row_order`; both in store.write_groups):
PostgreSQL's writer takes a whole group's locks in one statement at the start of its
transaction, runs the group's reads of one kind as one call, then its works by row order;
SQLite's single writer needs no lock nor order, and runs each read just before its work.

* SQLite (embedded default): a writer thread owns the only write connection; reads run on a
  small pool of reader threads (WAL lets them run beside the writer).
* PostgreSQL: an asyncio writer task runs each group through asyncpg via `run_sync`
  (greenlet); reads use the pool directly, and many processes on many machines can share
  the database (row locks and SKIP LOCKED order them).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Connection, create_engine, event, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from relais.core.errors import ConfigError, RelaisError, StorageError
from relais.store.advisory_locks import AdvisoryLock
from relais.store.write_groups import GroupRead, Write, admits, run_locked, run_writes

T = TypeVar("T")
Work = Callable[[Connection], T]

GROUP_LIMIT = 256
# PostgreSQL writers per lane. Sends share one (they meet on account rows, and one writer
# with big groups beats several queueing on the same row lock); delivery works touch
# disjoint messages (claims skip locked rows), so two writers overlap their round trips.
LANE_WRITERS = {"default": 1, "delivery": 2}
# PostgreSQL ends one transaction of a deadlock (40P01) or of a serialization conflict
# (40001) so the other can go on; run again, a work then goes through. Group commit makes
# deadlocks possible even where each work takes its locks in one order: a group runs
# several works' locks in arrival order, in one transaction.
RETRIED_SQLSTATES = frozenset({"40P01", "40001"})
ATTEMPTS = 5


class Database(Protocol):
    dialect: str

    async def write(
        self,
        work: Callable[..., T],
        *,
        lane: str = "default",
        locks: Sequence[AdvisoryLock] = (),
        group_read: GroupRead | None = None,
        row_order: int = 0,
    ) -> T: ...

    async def read(self, work: Work[T]) -> T: ...

    async def close(self) -> None: ...


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Translate driver errors so no sqlalchemy or driver exception leaves store/."""
    try:
        yield
    except RelaisError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        raise StorageError(f"database error: {type(exc).__name__}") from exc


@contextlib.contextmanager
def opening(url: str) -> Iterator[None]:
    """Reaching a database for the first time: a failure says which database (password
    masked) and why, in the driver's words, so an operator knows what to fix."""
    try:
        yield
    except RelaisError:
        raise
    except (SQLAlchemyError, OSError) as exc:
        where = make_url(url).render_as_string(hide_password=True)
        raise StorageError(f"cannot use the database {where}: {_reason(exc)}") from exc


def _reason(exc: BaseException) -> str:
    root = exc
    while (cause := getattr(root, "orig", None) or root.__cause__) is not None:
        root = cause
    if isinstance(root, OSError) and root.errno:
        return os.strerror(root.errno).lower()
    text = str(root).strip().splitlines()
    return text[0][:200] if text else type(root).__name__


def retryable(exc: BaseException) -> bool:
    """Whether a failed transaction was the victim of a deadlock or a serialization
    conflict, whatever wraps the driver's error."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if getattr(cause, "sqlstate", None) in RETRIED_SQLSTATES:
            return True
        cause = getattr(cause, "orig", None) or cause.__cause__
    return False


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

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock up front so a group never fails half-way on SQLITE_BUSY.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

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
        self._write_engine = _sqlite_engine(path, writer=True, synchronous=synchronous)
        self._read_engine = _sqlite_engine(path, writer=False, synchronous=synchronous)
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._readers = ThreadPoolExecutor(readers, thread_name_prefix="relais-sqlite-read")
        self._turn = WriterTurn(path)
        self._writer = threading.Thread(target=self._write_loop, name="relais-sqlite-writer")
        self._writer.daemon = True
        self._writer.start()
        self.groups_committed = 0
        self.works_committed = 0

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
        with storage_errors(), self._read_engine.begin() as conn:
            return work(conn)

    async def close(self) -> None:
        self._jobs.put(None)
        await asyncio.get_running_loop().run_in_executor(None, self._writer.join)
        self._readers.shutdown(wait=True)
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
                with self._turn:
                    group, stop = self._gather(first)
                    self._run_group_in_turn(conn, group)
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

    def _run_group_in_turn(self, conn: Connection, group: list[_Job]) -> None:
        try:
            with conn.begin():
                writes = [job.write for job in group]
                outcomes = [(True, r) for r in run_writes(conn, writes, grouped_reads=False)]
        except Exception:
            if len(group) == 1:
                outcomes = [self._run_alone(conn, group[0])]
            else:
                outcomes = [self._run_alone(conn, job) for job in group]
        else:
            self.groups_committed += 1
            self.works_committed += len(group)
        self._publish(group, outcomes)

    def _run_alone(self, conn: Connection, job: _Job) -> tuple[bool, Any]:
        try:
            with storage_errors(), conn.begin():
                result = run_writes(conn, [job.write], grouped_reads=False)[0]
        except Exception as exc:
            if conn.in_transaction():
                conn.rollback()
            return (False, exc)
        self.groups_committed += 1
        self.works_committed += 1
        return (True, result)

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


def postgres_engine(url: str, *, pool_size: int = 20) -> AsyncEngine:
    """The asyncpg engine a PostgresDatabase runs on: `pool_size` connections, and as many
    again beyond it while a burst lasts."""
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)


class _PgJob:
    __slots__ = ("future", "write")

    def __init__(self, write: Write, future: asyncio.Future[Any]) -> None:
        self.write = write
        self.future = future


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 20, engine: AsyncEngine | None = None) -> None:
        # A caller may lend an engine that outlives this database (the test suite keeps one
        # per session): `close` disposes of its pool only, its dialect and compiled SQL stay.
        self._engine = engine or postgres_engine(url, pool_size=pool_size)
        # One writer task per lane, each committing its groups on its own connection: works
        # of different lanes touch different rows (sends vs. delivery bookkeeping), so their
        # groups overlap instead of queueing on one connection or on a hot account row.
        self._lanes: dict[str, asyncio.Queue[_PgJob | None]] = {}
        self._writers: list[asyncio.Task[None]] = []
        self.groups_committed = 0
        self.works_committed = 0
        self.retries = 0  # works run again after a deadlock or a serialization conflict

    async def write(
        self,
        work: Callable[..., T],
        *,
        lane: str = "default",
        locks: Sequence[AdvisoryLock] = (),
        group_read: GroupRead | None = None,
        row_order: int = 0,
    ) -> T:
        jobs = self._lanes.get(lane)
        if jobs is None:
            jobs = self._lanes[lane] = asyncio.Queue()
            self._writers.extend(
                asyncio.create_task(self._write_loop(jobs), name=f"relais-pg-{lane}-{i}")
                for i in range(LANE_WRITERS.get(lane, 1))
            )
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        jobs.put_nowait(_PgJob(Write(work, locks, group_read, row_order), future))
        return await future

    async def _write_loop(self, jobs: asyncio.Queue[_PgJob | None]) -> None:
        held_back: _PgJob | None = None  # starts the next group (write_groups.admits)
        while True:
            first = held_back or await jobs.get()
            held_back = None
            if first is None:
                return
            group = [first]
            stop = False
            while len(group) < GROUP_LIMIT and not jobs.empty():
                nxt = jobs.get_nowait()
                if nxt is None:
                    stop = True
                    break
                if not admits([job.write for job in group], nxt.write):
                    held_back = nxt
                    break
                group.append(nxt)
            await self._run_group(group)
            if stop:
                return

    async def _run_group(self, group: list[_PgJob]) -> None:
        writes = [job.write for job in group]
        try:
            with storage_errors():
                async with self._engine.begin() as conn:
                    results = await conn.run_sync(run_locked, writes)
        except Exception:
            for job in group:
                try:
                    result = await self._run_alone(job)
                except Exception as exc:
                    if not job.future.done():
                        job.future.set_exception(exc)
                else:
                    self.groups_committed += 1
                    self.works_committed += 1
                    if not job.future.done():
                        job.future.set_result(result)
            return
        self.groups_committed += 1
        self.works_committed += len(group)
        for job, result in zip(group, results, strict=True):
            if not job.future.done():
                job.future.set_result(result)

    async def _run_alone(self, job: _PgJob) -> Any:
        """One work in a transaction of its own, run again while it is a deadlock's victim."""
        attempt = 1
        while True:
            try:
                with storage_errors():
                    async with self._engine.begin() as conn:
                        return (await conn.run_sync(run_locked, [job.write]))[0]
            except StorageError as exc:
                if attempt == ATTEMPTS or not retryable(exc):
                    raise
                attempt += 1
                self.retries += 1

    async def read(self, work: Work[T]) -> T:
        with storage_errors():
            async with self._engine.connect() as conn:
                return await conn.run_sync(work)

    async def close(self) -> None:
        for lane, jobs in self._lanes.items():
            for _ in range(LANE_WRITERS.get(lane, 1)):
                jobs.put_nowait(None)
        await asyncio.gather(*self._writers)
        await self._engine.dispose()


def async_url(url: str) -> str:
    """Accept the usual `postgresql://` spelling and run it on asyncpg."""
    for prefix in (
        "postgresql+asyncpg://",
        "postgresql+psycopg://",
        "postgresql://",
        "postgres://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def sqlite_path(url: str) -> Path | None:
    """The file of a `sqlite:///path` URL, None for PostgreSQL; anything else is refused."""
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
    if url.startswith(("postgresql://", "postgres://", "postgresql+asyncpg://")):
        return None
    raise ConfigError(
        f"unsupported database URL {url.split(':', 1)[0]!r}: "
        "use sqlite:///path/to/file.db or postgresql://user@host/db"
    )


def open_database(url: str, *, sqlite_synchronous: str = "FULL") -> Database:
    path = sqlite_path(url)
    if path is not None:
        return SqliteDatabase(path, synchronous=sqlite_synchronous)
    return PostgresDatabase(async_url(url))
