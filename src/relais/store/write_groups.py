"""What one group of writes runs in its transaction (store.database commits groups).

A write is its work, the advisory locks it must hold before it reads (store.advisory_locks)
and, optionally, a `GroupRead`: a read its work needs first, which the PostgreSQL writer runs
once for every write of the group that names the same read function (one statement, where
each write would have spent a round trip on its own). SQLite runs each write's read just
before its work: in-process, a statement costs microseconds.

A group of several writes takes its debits at its end (store.group_debits), and the sends
that allow it are inserted together (store.paid_campaigns): before the first write without a
group read that follows them, on SQLite before a send whose read depends on theirs (its
locks conflict with theirs), and at the end.

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


def run_writes(conn: Connection, writes: Sequence[Write], *, grouped_reads: bool) -> list[Any]:
    """Run a group's writes in order inside the caller's transaction, their group reads
    first (`grouped_reads`: one call per read function, else one per write); their results."""
    found: dict[int, Any] = {}
    if grouped_reads:
        keys: dict[Callable[..., list[Any]], list[tuple[int, Any]]] = {}
        for index, write in enumerate(writes):
            if write.group_read is not None:
                keys.setdefault(write.group_read.read, []).append((index, write.group_read.key))
        for read, indexed in keys.items():
            results = read(conn, [key for _, key in indexed])
            found.update(zip((index for index, _ in indexed), results, strict=True))
    results = []
    pending = LockSet()  # the locks of the writes whose inserts may still be deferred
    for index, write in enumerate(writes):
        if write.group_read is None:
            # A write without a group read reads where it runs: it must see the sends
            # before it (their deferred inserts; a group read ran before them all anyway).
            paid_campaigns.insert_deferred(conn)
            results.append(write.work(conn))
            continue
        if not grouped_reads:
            if pending.conflicts(write.locks):  # its read must see what they wrote
                paid_campaigns.insert_deferred(conn)
                pending = LockSet()
            pending.add(write.locks)
            found[index] = write.group_read.read(conn, [write.group_read.key])[0]
        results.append(write.work(conn, found[index]))
    return results


def run_group(conn: Connection, writes: Sequence[Write], *, grouped_reads: bool) -> list[Any]:
    """`run_writes`, with a group of several taking its debits at its end and inserting its
    sends together (see the module); alone, a write debits at once: a refused debit is then
    its work's own error."""
    if len(writes) == 1:
        return run_writes(conn, writes, grouped_reads=grouped_reads)
    # The sends' inserts first, then the debits (their ledger rows name the campaigns).
    with group_debits.deferred(conn), paid_campaigns.deferred_inserts(conn):
        return run_writes(conn, writes, grouped_reads=grouped_reads)


def run_locked(conn: Connection, writes: Sequence[Write]) -> list[Any]:
    """PostgreSQL: take the group's advisory locks in one statement, then run its writes
    in `row_order` with their reads grouped (`run_group`); the results in the order of
    `writes`."""
    advisory_locks.take(conn, [lock for write in writes for lock in write.locks])
    order = sorted(range(len(writes)), key=lambda index: writes[index].row_order)
    ordered_writes = [writes[index] for index in order]
    ordered = run_group(conn, ordered_writes, grouped_reads=True)
    results: list[Any] = [None] * len(writes)
    for index, result in zip(order, ordered, strict=True):
        results[index] = result
    return results
