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

from collections.abc import Iterable
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


def conflict(held: Iterable[AdvisoryLock], wanted: Iterable[AdvisoryLock]) -> bool:
    """Whether a transaction asking for `wanted` would wait for one holding `held`: the same
    lock, exclusive in one of them at least."""
    modes: dict[tuple[int, int | None], bool] = {}
    for lock in held:
        key = (lock.key, lock.space)
        modes[key] = modes.get(key, False) or not lock.shared
    return any(
        (lock.key, lock.space) in modes and (modes[(lock.key, lock.space)] or not lock.shared)
        for lock in wanted
    )


def take(conn: Connection, locks: Iterable[AdvisoryLock]) -> None:
    """Wait for, then hold until the transaction ends, every one of `locks` (one statement;
    a two-key lock asked for both shared and exclusive is taken exclusive)."""
    wanted: dict[tuple[int, int | None], int] = {}
    for lock in locks:
        if lock.space is None:
            wanted[(lock.key, None)] = _ONE_KEY
        elif wanted.get((lock.key, lock.space)) != _EXCLUSIVE:
            wanted[(lock.key, lock.space)] = _SHARED if lock.shared else _EXCLUSIVE
    if not wanted:
        return
    _TAKE.rows(
        conn,
        {
            "kinds": list(wanted.values()),
            "spaces": [space or 0 for _, space in wanted],
            "keys": [key for key, _ in wanted],
        },
    )
