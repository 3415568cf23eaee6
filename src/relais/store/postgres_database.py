"""Many processes on many machines: PostgreSQL through asyncpg, one writer task per lane.

Each lane's writer task runs groups of writes through `run_sync` (greenlet), retrying a work
that is, alone, a deadlock's victim; reads use the pool directly (store.database has the
whole contract).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from relais.core.errors import StorageError
from relais.store.advisory_locks import AdvisoryLock, LockSet
from relais.store.storage_errors import retryable, storage_errors
from relais.store.write_groups import GROUP_LIMIT, GroupRead, Work, Write, admits, run_locked

T = TypeVar("T")

# Writers per lane. Sends share one (they meet on account rows, and one writer with big
# groups beats several queueing on the same row lock); delivery works touch disjoint
# messages (claims skip locked rows), so two writers overlap their round trips.
LANE_WRITERS = {"default": 1, "delivery": 2}
# Runs of a work alone that a deadlock or a serialization conflict may end, before its
# caller gets the error.
ATTEMPTS = 5


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
        self.write_seconds = 0.0  # inside the writers' transactions, each writer's own summed

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
            held = LockSet(first.write.locks)  # the group's locks so far, kept as it grows
            stop = False
            while len(group) < GROUP_LIMIT and not jobs.empty():
                nxt = jobs.get_nowait()
                if nxt is None:
                    stop = True
                    break
                if not admits(held, nxt.write):
                    held_back = nxt
                    break
                group.append(nxt)
                held.add(nxt.write.locks)
            started = time.perf_counter()
            await self._run_group(group)
            self.write_seconds += time.perf_counter() - started
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
