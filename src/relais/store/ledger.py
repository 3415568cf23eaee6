"""The credit ledger: every movement is a row, and accounts.balance moves with it in the
same transaction, so balance == sum(ledger) always holds."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from relais.store import group_debits
from relais.store.balance_alerts import balance_crossed, watched_trigger
from relais.store.group_debits import Debit
from relais.store.precompiled import Precompiled
from relais.store.tables import accounts, credit_ledger

# Built once: constructing statements costs more than running them on the hot path.
_CREDIT = (
    update(accounts)
    .where(accounts.c.id == bindparam("account"))
    .values(balance=accounts.c.balance + bindparam("amount"))
    .returning(accounts.c.balance, watched_trigger(accounts.c.id))
)
_APPEND = Precompiled(insert(credit_ledger))


class LedgerReason(enum.StrEnum):
    TOPUP = "topup"
    CAMPAIGN = "campaign"
    REFUND = "refund"
    TRANSFER = "transfer"  # between a parent account and its sub-account
    LOOKUP = "lookup"  # number lookups (POST /lookup), one row per request


def debit_if_covered(
    conn: Connection,
    *,
    account_id: int,
    amount: int,
    campaign_id: int | None,
    now_ms: int,
    reason: LedgerReason = LedgerReason.CAMPAIGN,
    note: str = "",
) -> int | None:
    """Take `amount` if the balance covers it and the account is not suspended; the new
    balance, or None when not (the caller then rolls its transaction back; see
    services.accounts.refuse_debit for the error to raise).

    The conditional UPDATE is the check: on PostgreSQL its row lock orders concurrent debits,
    on SQLite the single writer does, so no interleaving can overdraw the account. A debit
    that takes the balance to or below the account's alert trigger queues its BALANCE_ALERT
    in this transaction (store.balance_alerts)."""
    group_debits.settle_account(conn, account_id)
    debited = group_debits.COVERED_DEBIT_ONE.first(conn, {"account": account_id, "amount": amount})
    if debited is None:
        return None
    new_balance, trigger = debited
    if amount:
        append_rows(conn, [ledger_row(account_id, -amount, reason, campaign_id, note, now_ms)])
        if trigger is not None:
            balance_crossed(conn, account_id=account_id, balance=new_balance, now_ms=now_ms)
    return new_balance


def take(
    conn: Connection,
    *,
    account_id: int,
    amount: int,
    reason: LedgerReason,
    now_ms: int,
    campaign_id: int | None = None,
    note: str = "",
) -> Debit | None:
    """`debit_if_covered` for a write that may share a PostgreSQL group with sends: there
    the debit is taken with the group's others at its end, in account order
    (store.group_debits), and its ledger row now; elsewhere at once. None when refused at
    once (a refusal at the group's end runs the group's works again alone)."""
    deferred = group_debits.defer(conn, account_id=account_id, amount=amount, now_ms=now_ms)
    if deferred is not None:
        if amount:
            append_rows(conn, [ledger_row(account_id, -amount, reason, campaign_id, note, now_ms)])
        return deferred
    balance = debit_if_covered(
        conn,
        account_id=account_id,
        amount=amount,
        campaign_id=campaign_id,
        now_ms=now_ms,
        reason=reason,
        note=note,
    )
    return None if balance is None else Debit(account_id, amount, balance)


def credit(
    conn: Connection,
    *,
    account_id: int,
    amount: int,
    reason: LedgerReason,
    campaign_id: int | None = None,
    note: str = "",
    now_ms: int,
) -> int:
    """Add `amount` (may be negative for an operator correction); the new balance. The
    balance alert follows it: re-armed above the trigger, sent when a correction takes the
    balance to or below it."""
    group_debits.settle_account(conn, account_id)
    new_balance, trigger = conn.execute(_CREDIT, {"account": account_id, "amount": amount}).one()
    append_rows(conn, [ledger_row(account_id, amount, reason, campaign_id, note, now_ms)])
    if amount and trigger is not None:
        balance_crossed(conn, account_id=account_id, balance=new_balance, now_ms=now_ms)
    return new_balance


def refund_campaign(
    conn: Connection, *, campaign_id: int, amount: int, note: str = "", now_ms: int
) -> int | None:
    """Give `amount` of a campaign's cost back to whoever paid for it (the parent, for an
    unlimited sub-account); that payer, or None when nothing was debited for the campaign
    (and then nothing is given)."""
    payer = payer_of(conn, campaign_id)
    if payer is not None and amount > 0:
        credit(
            conn,
            account_id=payer,
            amount=amount,
            reason=LedgerReason.REFUND,
            campaign_id=campaign_id,
            note=note,
            now_ms=now_ms,
        )
    return payer


def paid_for(conn: Connection, *, campaign_id: int) -> int:
    """What the campaign's payer has paid for it so far: its debits less its refunds."""
    payer = payer_of(conn, campaign_id)
    if payer is None:
        return 0
    taken = conn.execute(
        select(func.coalesce(func.sum(credit_ledger.c.amount), 0)).where(
            credit_ledger.c.campaign_id == campaign_id, credit_ledger.c.account_id == payer
        )
    ).scalar_one()
    return -int(taken)


def payer_of(conn: Connection, campaign_id: int) -> int | None:
    """The account whose balance paid for a campaign (its parent's, for an unlimited
    sub-account), or None when nothing was debited."""
    return conn.execute(
        select(credit_ledger.c.account_id)
        .where(
            credit_ledger.c.campaign_id == campaign_id,
            credit_ledger.c.reason == LedgerReason.CAMPAIGN.value,
        )
        .limit(1)
    ).scalar()


def ledger_sum(conn: Connection, account_id: int) -> int:
    return conn.execute(
        select(func.coalesce(func.sum(credit_ledger.c.amount), 0)).where(
            credit_ledger.c.account_id == account_id
        )
    ).scalar_one()


def ledger_row(
    account_id: int,
    amount: int,
    reason: LedgerReason,
    campaign_id: int | None,
    note: str,
    now_ms: int,
) -> dict[str, Any]:
    """A movement as `append_rows` takes it (the balance moved with it by the caller)."""
    return {
        "account_id": account_id,
        "amount": amount,
        "reason": reason.value,
        "campaign_id": campaign_id,
        "note": note,
        "created_at": now_ms,
    }


def append_rows(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    _APPEND.many(conn, rows)
