"""A send's writes: its campaign, the debit of its cost, the ledger row and its messages.

On PostgreSQL they are one statement (data-modifying CTEs): each statement is a round trip
the send's transaction waits for while it holds the payer's row lock, and a single send was
six of them. On SQLite, in-process, they stay four precompiled statements.

Either way the debit is the conditional one (store.ledger.COVERED_DEBIT): when it takes
nothing, `insert_paid_campaign` returns None and the caller rolls the transaction back,
campaign included. In a PostgreSQL group of several writes the debit is deferred to the
group's end instead (store.group_debits), and the statement leaves it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from relais.store import campaigns as campaign_store
from relais.store import group_debits, ledger
from relais.store.balance_alerts import balance_crossed
from relais.store.group_debits import Debit
from relais.store.precompiled import Precompiled
from relais.store.tables import campaigns, credit_ledger, messages

# The columns a send gives each of its messages (their campaign_id comes from the campaign).
MESSAGE_COLUMNS = (
    "account_id",
    "destination",
    "country",
    "gsmsmsid",
    "text",
    "parts",
    "cost",
    "status",
    "due_at",
    "connector",
    "done_at",
    "error",
)

# (campaign id, the payer's debit: its balance after it is known once the debit is taken)
Paid = tuple[int, Debit]


def insert_paid_campaign(
    conn: Connection,
    *,
    campaign: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]] = (),
    payer: int,
    amount: int,
    now_ms: int,
) -> Paid | None:
    """Insert `campaign` with `messages` (MESSAGE_COLUMNS each) and debit `amount` from
    `payer` with its ledger row, following its balance alert; None when the debit is
    refused (see the module)."""
    if conn.dialect.name == "postgresql":
        deferred = group_debits.defer(conn, account_id=payer, amount=amount, now_ms=now_ms)
        # "account" is COVERED_DEBIT's name for the account it debits: here the payer.
        params: dict[str, Any] = {**campaign, "account": payer, "amount": amount, "now": now_ms}
        for name in MESSAGE_COLUMNS:
            params[f"message_{name}"] = [row[name] for row in messages]
        paid = _one_statement(tuple(campaign), deferred is not None).first(conn, params)
        if deferred is not None:
            assert paid is not None  # an INSERT ... RETURNING without a condition
            return paid[0], deferred
        if paid is None or paid[1] is None:
            return None
        campaign_id, balance, trigger = paid
        if amount and trigger is not None:
            balance_crossed(conn, account_id=payer, balance=balance, now_ms=now_ms)
        return campaign_id, Debit(payer, amount, balance)
    campaign_id = campaign_store.insert_campaign(conn, campaign)
    debit = ledger.take(
        conn,
        account_id=payer,
        amount=amount,
        reason=ledger.LedgerReason.CAMPAIGN,
        campaign_id=campaign_id,
        now_ms=now_ms,
    )
    if debit is None:
        return None
    campaign_store.insert_messages(conn, [{**row, "campaign_id": campaign_id} for row in messages])
    return campaign_id, debit


@lru_cache(maxsize=16)
def _one_statement(campaign_columns: tuple[str, ...], deferred: bool) -> Precompiled:
    """The PostgreSQL statement for campaigns given these columns (a send gives a few sets),
    with the debit, or without it when the group takes it (`deferred`)."""
    campaign = (
        insert(campaigns)
        .values({name: bindparam(name, type_=campaigns.c[name].type) for name in campaign_columns})
        .returning(campaigns.c.id)
        .cte("campaign")
    )
    debit = ledger.COVERED_DEBIT.cte("debit")
    # What the ledger row and the messages are inserted from: no row when the debit is refused.
    paid = campaign if deferred else campaign.join(debit, true())
    amount = bindparam("amount", type_=credit_ledger.c.amount.type)
    ledger_row = (
        insert(credit_ledger)
        .from_select(
            ["account_id", "amount", "reason", "campaign_id", "note", "created_at"],
            select(
                bindparam("account", type_=credit_ledger.c.account_id.type),
                -amount,
                literal(ledger.LedgerReason.CAMPAIGN.value),
                campaign.c.id,
                literal(""),
                bindparam("now", type_=credit_ledger.c.created_at.type),
            )
            .select_from(paid)
            .where(amount != 0),
        )
        .cte("ledger_row")
    )
    # The messages as one array per column, unnested into rows: one statement for any count.
    arrays = (
        func.unnest(
            *(
                bindparam(f"message_{name}", type_=ARRAY(messages.c[name].type))
                for name in MESSAGE_COLUMNS
            )
        )
        .table_valued(*MESSAGE_COLUMNS)
        .render_derived()
    )
    queued = (
        insert(messages)
        .from_select(
            ["campaign_id", *MESSAGE_COLUMNS],
            select(campaign.c.id, *(arrays.c[name] for name in MESSAGE_COLUMNS)).select_from(
                paid.join(arrays, true())
            ),
        )
        .cte("queued")
    )
    if deferred:
        return Precompiled(select(campaign.c.id).add_cte(ledger_row, queued))
    return Precompiled(
        select(campaign.c.id, debit.c.balance, debit.c.trigger)
        .select_from(campaign.outerjoin(debit, true()))
        .add_cte(ledger_row, queued)
    )
