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

* SQLite (embedded default, store/sqlite_database.py): a writer thread owns the only write
  connection; reads run on a small pool of reader threads (WAL lets them run beside the
  writer).
* PostgreSQL (store/postgres_database.py): an asyncio writer task runs each group through
  asyncpg via `run_sync` (greenlet); reads use the pool directly, and many processes on many
  machines can share the database (row locks and SKIP LOCKED order them).

What a group runs is store/write_groups.py; how driver errors are reported,
store/storage_errors.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from relais.core.errors import ConfigError
from relais.store.advisory_locks import AdvisoryLock
from relais.store.postgres_database import PostgresDatabase
from relais.store.sqlite_database import SqliteDatabase
from relais.store.write_groups import GroupRead, Work

T = TypeVar("T")


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
