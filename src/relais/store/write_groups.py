"""What one group of writes runs in its transaction (store.database commits groups).

A write is its work, the advisory locks it must hold before it reads (store.advisory_locks)
and, optionally, a `GroupRead`: a read its work needs first, which the writer runs once for
every write of a run of the group that names the same read function (one statement, where
each write would have spent a round trip on PostgreSQL, or a wait for the GIL in SQLite's
writer thread, store.precompiled).

A group of several writes takes its debits at its end (store.group_debits), and the sends
that allow it are inserted together (store.paid_campaigns): before the first write without a
group read that follows them, before a send whose read depends on theirs (its locks conflict
with theirs: only SQLite's groups hold such writes), and at the end.

On PostgreSQL a group's writes run ordered by `row_order` (a send's: its payer's account
id), so two processes' groups that debit the same accounts lock their rows in one order: in
arrival order, two groups each holding one account's row and waiting for the other's
deadlock, and PostgreSQL only notices after `deadlock_timeout` (1 s).

A group read runs before any work of its group, so no work may change what another's read
returns: a write with a group read never joins a group holding a lock that conflicts with
its own (`admits`), and its locks are what its read depends on (a single send's: the account
shared, its number exclusive).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection

from relais.store import advisory_locks, group_debits, paid_campaigns
from relais.store.advisory_locks import AdvisoryLock, LockSet

T = TypeVar("T")
# A unit of work: a function of the transaction's connection (store.database).
Work = Callable[[Connection], T]
# At most this many writes share one transaction.
GROUP_LIMIT = 256


@dataclass(frozen=True, slots=True)
class GroupRead:
    """`read(conn, keys)` returns one result per key, in order; the write's work is then
    called as `work(conn, result)`."""

    read: Callable[[Connection, list[Any]], list[Any]]
    key: Any


@dataclass(frozen=True, slots=True)
class Write:
    work: Callable[..., Any]
    locks: Sequence[AdvisoryLock] = ()
    group_read: GroupRead | None = None
    row_order: int = 0


def admits(held: LockSet, candidate: Write) -> bool:
    """Whether `candidate` may join a group holding `held`: always, unless it has a group
    read and one of its locks conflicts with one of them (they would wait for each other)."""
    return candidate.group_read is None or not held.conflicts(candidate.locks)


def run_writes(conn: Connection, writes: Sequence[Write]) -> list[Any]:
    """Run a group's writes in order inside the caller's transaction; their results.

    Consecutive writes with group reads whose locks do not conflict form a run: its reads
    are made first, one call per read function, then its works. A write whose locks conflict
    with the run's, or with those of sends whose inserts are still deferred, starts the next
    run, those inserts made first so that its read sees them (on PostgreSQL a group holds no
    such conflict: `admits`). A write without a group read reads where it runs: the deferred
    inserts are made before it."""
    results: list[Any] = []
    deferred = LockSet()  # the locks of the writes whose inserts may still be deferred
    start = 0
    while start < len(writes):
        first = writes[start]
        if first.group_read is None:
            paid_campaigns.insert_deferred(conn)
            deferred = LockSet(first.locks)  # its own inserts may be deferred
            results.append(first.work(conn))
            start += 1
            continue
        if deferred.conflicts(first.locks):
            paid_campaigns.insert_deferred(conn)
            deferred = LockSet()
        end, held = start, LockSet()
        while end < len(writes):
            write = writes[end]
            if write.group_read is None or held.conflicts(write.locks):
                break
            if deferred.conflicts(write.locks):  # the next run, once they are inserted
                break
            held.add(write.locks)
            end += 1
        run = writes[start:end]
        results += _run_reads_then_works(conn, run)
        for write in run:
            deferred.add(write.locks)
        start = end
    return results


def _run_reads_then_works(conn: Connection, run: Sequence[Write]) -> list[Any]:
    keys: dict[Callable[..., list[Any]], list[tuple[int, Any]]] = {}
    for index, write in enumerate(run):
        assert write.group_read is not None
        keys.setdefault(write.group_read.read, []).append((index, write.group_read.key))
    found: dict[int, Any] = {}
    for read, indexed in keys.items():
        results = read(conn, [key for _, key in indexed])
        found.update(zip((index for index, _ in indexed), results, strict=True))
    return [write.work(conn, found[index]) for index, write in enumerate(run)]


def run_group(conn: Connection, writes: Sequence[Write]) -> list[Any]:
    """`run_writes`, with a group of several taking its debits at its end and inserting its
    sends together (see the module); alone, a write debits at once: a refused debit is then
    its work's own error."""
    if len(writes) == 1:
        return run_writes(conn, writes)
    # The sends' inserts first, then the debits (their ledger rows name the campaigns).
    with group_debits.deferred(conn), paid_campaigns.deferred_inserts(conn):
        return run_writes(conn, writes)


def run_locked(conn: Connection, writes: Sequence[Write]) -> list[Any]:
    """PostgreSQL: take the group's advisory locks in one statement, then run its writes
    in `row_order` with their reads grouped (`run_group`); the results in the order of
    `writes`."""
    advisory_locks.take(conn, [lock for write in writes for lock in write.locks])
    order = sorted(range(len(writes)), key=lambda index: writes[index].row_order)
    ordered_writes = [writes[index] for index in order]
    ordered = run_group(conn, ordered_writes)
    results: list[Any] = [None] * len(writes)
    for index, result in zip(order, ordered, strict=True):
        results[index] = result
    return results
