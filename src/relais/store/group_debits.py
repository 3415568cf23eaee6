"""A group's debits taken together, by one statement just before its COMMIT.

A debit's UPDATE locks the payer's row until COMMIT. Taken where each send runs, the row
stayed locked for the rest of the group (its other sends' round trips), and another API
process's group debiting the same account waited all that time: two processes gave no
more than one. Deferred, the row is locked for two round trips (this statement and the
COMMIT), whatever the group's size.

The statement is still the conditional debit (COVERED_DEBIT's conditions, on
each account's total): when an account's balance does not cover its total, or it was
suspended, `DebitRefused` ends the group, and the writer runs its works again one by one,
where each debit is taken at once and refused on its own (store.postgres_database).

Each `Debit` learns the payer's balance just after it, as if the group's debits had been
taken one after the other: the last one's is the balance the statement returns, each
earlier one's that plus the amounts after it. A balance moved at once inside the group
(a top-up, a transfer) first settles that account's pending debits, so that order holds.
Sends (store.paid_campaigns) and lookups (store.ledger.take) defer theirs.

SQLite groups defer them too (one statement per payer instead of one per send: each
statement in the writer thread waits for the GIL, see store.precompiled).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from relais.store.balance_alerts import balance_crossed, watched_trigger
from relais.store.precompiled import Precompiled
from relais.store.tables import accounts

_PENDING = "relais.group_debits"


class Debit:
    """`amount` taken from `account_id`, and the balance just after it once it is taken."""

    __slots__ = ("_balance", "account_id", "amount")

    def __init__(self, account_id: int, amount: int, balance: int | None = None) -> None:
        self.account_id = account_id
        self.amount = amount
        self._balance = balance

    @property
    def balance(self) -> int:
        if self._balance is None:
            raise RuntimeError("the debit's group has not settled yet")
        return self._balance


class DebitRefused(Exception):
    """A group's debits for `account_id` were refused: the group runs its works again alone."""

    def __init__(self, account_id: int) -> None:
        super().__init__(f"group debit refused for account {account_id}")
        self.account_id = account_id


def _settle_statement() -> Precompiled:
    wanted = select(
        func.unnest(bindparam("accounts", type_=ARRAY(accounts.c.id.type))).label("account"),
        func.unnest(bindparam("amounts", type_=ARRAY(accounts.c.balance.type))).label("amount"),
    ).cte("wanted")
    # The rows locked in id order, whatever plan the UPDATE gets: two groups debiting the
    # same accounts cannot each hold one the other waits for. NO KEY UPDATE, as the UPDATE
    # itself takes: the group's inserts hold KEY SHARE on the same rows (foreign keys), and
    # FOR UPDATE would wait for another group's, which waits for ours: a deadlock.
    locked = (
        select(accounts.c.id)
        .where(accounts.c.id.in_(select(wanted.c.account)))
        .order_by(accounts.c.id)
        .with_for_update(key_share=True)
        .cte("locked")
        .prefix_with("MATERIALIZED")
    )
    return Precompiled(
        update(accounts)
        .where(
            accounts.c.id == wanted.c.account,
            accounts.c.id == locked.c.id,
            accounts.c.balance >= wanted.c.amount,
            accounts.c.suspended_at.is_(None),
        )
        .values(balance=accounts.c.balance - wanted.c.amount)
        .returning(accounts.c.id, accounts.c.balance, watched_trigger(accounts.c.id))
    )


_SETTLE = _settle_statement()
# The conditional debit: the new balance and the alert trigger, or no row when the balance
# does not cover it or the account is suspended (store.ledger, store.paid_campaigns; on
# SQLite a group's total per account).
COVERED_DEBIT = (
    update(accounts)
    .where(
        accounts.c.id == bindparam("account"),
        accounts.c.balance >= bindparam("amount"),
        # A suspended account pays for nothing, whatever a process's cache still believes.
        accounts.c.suspended_at.is_(None),
    )
    .values(balance=accounts.c.balance - bindparam("amount"))
    .returning(accounts.c.balance, watched_trigger(accounts.c.id).label("trigger"))
)
# Built once, for a debit taken at once (store.ledger) and each account's total on SQLite.
COVERED_DEBIT_ONE = Precompiled(COVERED_DEBIT)


class _Pending:
    __slots__ = ("by_account", "now_ms")

    def __init__(self) -> None:
        self.by_account: dict[int, list[Debit]] = {}
        self.now_ms = 0


@contextmanager
def deferred(conn: Connection) -> Iterator[None]:
    """Inside: `defer` records debits; on leaving without an error, they are taken."""
    pending = conn.info[_PENDING] = _Pending()
    try:
        yield
        _settle(conn, pending, list(pending.by_account))
    finally:
        del conn.info[_PENDING]


def defer(conn: Connection, *, account_id: int, amount: int, now_ms: int) -> Debit | None:
    """Record a debit to take when the group settles, or None outside a deferring group
    (the caller then debits at once)."""
    pending: _Pending | None = conn.info.get(_PENDING)
    if pending is None:
        return None
    debit = Debit(account_id, amount)
    pending.by_account.setdefault(account_id, []).append(debit)
    pending.now_ms = max(pending.now_ms, now_ms)
    return debit


def settle_account(conn: Connection, account_id: int) -> None:
    """Take the pending debits of `account_id` now (before its balance moves at once)."""
    pending: _Pending | None = conn.info.get(_PENDING)
    if pending is not None and account_id in pending.by_account:
        _settle(conn, pending, [account_id])


def _settle(conn: Connection, pending: _Pending, account_ids: list[int]) -> None:
    if not account_ids:
        return
    totals = Totals(pending, account_ids)
    if conn.dialect.name == "postgresql":
        rows = _SETTLE.rows(conn, {"accounts": totals.accounts, "amounts": totals.amounts})
    else:
        rows = [
            (account_id, *row)
            for account_id, amount in sorted(totals.by_account.items())
            for row in COVERED_DEBIT_ONE.rows(conn, {"account": account_id, "amount": amount})
        ]
    totals.taken(conn, rows)


class Totals:
    """The pending debits of some accounts, taken out of the group's: each account's total
    for the statement that takes them, then `taken` with what it returned."""

    __slots__ = ("by_account", "debits", "now_ms")

    def __init__(self, pending: _Pending, account_ids: list[int]) -> None:
        self.debits = {account_id: pending.by_account.pop(account_id) for account_id in account_ids}
        self.by_account = {
            account_id: sum(d.amount for d in taken) for account_id, taken in self.debits.items()
        }
        self.now_ms = pending.now_ms

    @property
    def accounts(self) -> list[int]:
        return list(self.by_account)

    @property
    def amounts(self) -> list[int]:
        return list(self.by_account.values())

    def taken(self, conn: Connection, rows: list[tuple]) -> None:
        """(account id, balance after, alert trigger) per account the statement debited:
        each debit learns its balance; `DebitRefused` when an account is missing."""
        taken_ids = {row[0] for row in rows}
        for account_id in self.by_account:
            if account_id not in taken_ids:
                raise DebitRefused(account_id)
        for account_id, after_group, trigger in rows:
            balance = after_group
            for debit in reversed(self.debits[account_id]):
                debit._balance = balance
                balance += debit.amount
            if self.by_account[account_id] and trigger is not None:
                balance_crossed(
                    conn, account_id=account_id, balance=after_group, now_ms=self.now_ms
                )


def take_all(conn: Connection) -> Totals | None:
    """Every pending debit of the group, for a statement that takes them with other work
    (store.paid_campaigns, at the group's end); None outside a group or with none pending."""
    pending: _Pending | None = conn.info.get(_PENDING)
    if pending is None or not pending.by_account:
        return None
    return Totals(pending, list(pending.by_account))
