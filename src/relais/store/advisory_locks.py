"""PostgreSQL transaction-level advisory locks a write declares before it runs.

A write that must read under a lock (a send's anti-flood counts: store.screening) names its
locks to `Database.write` instead of taking them itself. The PostgreSQL writer then takes the
locks of a whole group of writes in one statement, where each write would have spent a round
trip on its own, before any of them reads. SQLite's single writer needs none.

Every lock of a statement is taken in one order (two-key locks, then one-key locks, each by
key), so groups of different processes that share some locks wait for each other instead of
deadlocking.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterable
from dataclasses import dataclass

from sqlalchemy import ARRAY, BigInteger, Connection, Integer, bindparam, text

from relais.store.precompiled import Precompiled


@dataclass(frozen=True, slots=True)
class AdvisoryLock:
    """`key` alone: a one-key (64-bit) lock; with `space`: a two-key lock, both 32-bit.
    PostgreSQL keeps the two forms apart, so one-key and two-key locks never collide."""

    key: int
    space: int | None = None
    shared: bool = False


_ONE_KEY, _EXCLUSIVE, _SHARED = 0, 1, 2

# The CASE picks each row's lock function; the ordered subquery is what fixes the order.
_TAKE = Precompiled(
    text(
        "SELECT count(CASE l.kind"
        " WHEN 0 THEN pg_advisory_xact_lock(l.key)::text"
        " WHEN 1 THEN pg_advisory_xact_lock(l.space, l.key::integer)::text"
        " ELSE pg_advisory_xact_lock_shared(l.space, l.key::integer)::text END)"
        " FROM (SELECT * FROM unnest(:kinds, :spaces, :keys) AS u(kind, space, key)"
        " ORDER BY u.kind = 0, u.space, u.key) AS l"
    ).bindparams(
        bindparam("kinds", type_=ARRAY(Integer)),
        bindparam("spaces", type_=ARRAY(Integer)),
        bindparam("keys", type_=ARRAY(BigInteger)),
    )
)


class LockSet:
    """Advisory locks by key, each exclusive when any of those asking for it wants it so: what
    a group being gathered holds (store.write_groups), and what `take` asks for."""

    __slots__ = ("_exclusive",)

    def __init__(self, locks: Iterable[AdvisoryLock] = ()) -> None:
        self._exclusive: dict[tuple[int, int | None], bool] = {}
        self.add(locks)

    def add(self, locks: Iterable[AdvisoryLock]) -> None:
        for lock in locks:
            key = (lock.key, lock.space)
            self._exclusive[key] = self._exclusive.get(key, False) or not lock.shared

    def conflicts(self, wanted: Iterable[AdvisoryLock]) -> bool:
        """Whether a transaction asking for `wanted` would wait for one holding these: the
        same lock, exclusive in one of them at least."""
        for lock in wanted:
            exclusive = self._exclusive.get((lock.key, lock.space))
            if exclusive is not None and (exclusive or not lock.shared):
                return True
        return False

    def items(self) -> ItemsView[tuple[int, int | None], bool]:
        """((key, space), exclusive) of each lock."""
        return self._exclusive.items()

    def __len__(self) -> int:
        return len(self._exclusive)


def take(conn: Connection, locks: Iterable[AdvisoryLock]) -> None:
    """Wait for, then hold until the transaction ends, every one of `locks` (one statement;
    a two-key lock asked for both shared and exclusive is taken exclusive)."""
    wanted = LockSet(locks)
    if not wanted:
        return
    kinds, spaces, keys = [], [], []
    for (key, space), exclusive in wanted.items():
        kinds.append(_ONE_KEY if space is None else _EXCLUSIVE if exclusive else _SHARED)
        spaces.append(space or 0)
        keys.append(key)
    _TAKE.rows(conn, {"kinds": kinds, "spaces": spaces, "keys": keys})
