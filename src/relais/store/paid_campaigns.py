"""A send's writes: its campaign, the debit of its cost, the ledger row and its messages.

On PostgreSQL they are one statement (data-modifying CTEs): each statement is a round trip
the send's transaction waits for while it holds the payer's row lock, and a single send was
six of them. On SQLite, in-process, they stay four precompiled statements.

Either way the debit is the conditional one (store.group_debits.COVERED_DEBIT): when it takes
nothing, `insert_paid_campaign` returns None and the caller rolls the transaction back,
campaign included. In a group of several writes the debit is deferred to the group's end
instead (store.group_debits), and the statement leaves it out.

In such a group, a send whose caller reads its campaign id only after the commit
(`defer_insert`) is not written where it runs: the group's sends are inserted together
(`insert_deferred`: one statement on PostgreSQL, one a table on SQLite), before the next
write that may read them and at the group's end, before its debits. On PostgreSQL each
send's statement was a round trip the group's transaction waited for; on SQLite each
statement waited for the GIL in the writer thread, which holds the write lock
(store.precompiled).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Connection, Integer, bindparam, func, insert, literal, select, text, true
from sqlalchemy.dialects.postgresql import ARRAY

from relais.store import campaigns as campaign_store
from relais.store import group_debits, ledger
from relais.store.balance_alerts import balance_crossed
from relais.store.group_debits import Debit
from relais.store.precompiled import Precompiled
from relais.store.tables import accounts, campaigns, credit_ledger, messages

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

_PENDING = "relais.paid_campaigns"


class Paid:
    """A send's campaign and its payer's debit. In a PostgreSQL group, the campaign id is
    known once the group's sends are inserted, the debit's balance once it settles."""

    __slots__ = ("_campaign_id", "debit")

    def __init__(self, campaign_id: int | None, debit: Debit) -> None:
        self._campaign_id = campaign_id
        self.debit = debit

    @property
    def campaign_id(self) -> int:
        if self._campaign_id is None:
            raise RuntimeError("the send's group has not inserted its campaign yet")
        return self._campaign_id


class _Deferred(NamedTuple):
    campaign: dict[str, Any]
    messages: Sequence[Mapping[str, Any]]
    now_ms: int
    paid: Paid  # its debit names the payer and the amount


def insert_paid_campaign(
    conn: Connection,
    *,
    campaign: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]] = (),
    payer: int,
    amount: int,
    now_ms: int,
    defer_insert: bool = False,
) -> Paid | None:
    """Insert `campaign` with `messages` (MESSAGE_COLUMNS each) and debit `amount` from
    `payer` with its ledger row, following its balance alert; None when the debit is
    refused (see the module). With `defer_insert`, inside a group of several writes, the
    insert may join the group's (see the module): the caller reads `campaign_id` after commit."""
    pending: list[_Deferred] | None = conn.info.get(_PENDING)
    if defer_insert and pending is not None:
        deferred = group_debits.defer(conn, account_id=payer, amount=amount, now_ms=now_ms)
        if deferred is not None:
            paid = Paid(None, deferred)
            pending.append(_Deferred(dict(campaign), messages, now_ms, paid))
            return paid
    if conn.dialect.name == "postgresql":
        deferred = group_debits.defer(conn, account_id=payer, amount=amount, now_ms=now_ms)
        # "account" is COVERED_DEBIT's name for the account it debits: here the payer.
        params: dict[str, Any] = {**campaign, "account": payer, "amount": amount, "now": now_ms}
        for name in MESSAGE_COLUMNS:
            params[f"message_{name}"] = [row[name] for row in messages]
        row = _one_statement(tuple(campaign), deferred is not None).first(conn, params)
        if deferred is not None:
            assert row is not None  # an INSERT ... RETURNING without a condition
            return Paid(row[0], deferred)
        if row is None or row[1] is None:
            return None
        campaign_id, balance, trigger = row
        if amount and trigger is not None:
            balance_crossed(conn, account_id=payer, balance=balance, now_ms=now_ms)
        return Paid(campaign_id, Debit(payer, amount, balance))
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
    return Paid(campaign_id, debit)


@contextmanager
def deferred_inserts(conn: Connection) -> Iterator[None]:
    """Inside (a group of several writes): sends may defer their inserts, which
    `insert_deferred` writes, at the latest on leaving without an error."""
    conn.info[_PENDING] = []
    try:
        yield
        insert_deferred(conn, with_debits=True)
    finally:
        del conn.info[_PENDING]


def insert_deferred(conn: Connection, *, with_debits: bool = False) -> None:
    """Insert the sends deferred so far, one statement per set of campaign columns (a group
    of single sends gives one): before any write that may read them, and at the group's end.
    There (`with_debits`), on PostgreSQL, the last statement also takes the group's pending
    debits (store.group_debits): one round trip less before the COMMIT."""
    pending: list[_Deferred] | None = conn.info.get(_PENDING)
    if not pending:
        return
    by_columns: dict[tuple[str, ...], list[_Deferred]] = {}
    for send in pending:
        by_columns.setdefault(tuple(send.campaign), []).append(send)
    pending.clear()
    last = len(by_columns) - 1
    for position, (columns, sends) in enumerate(by_columns.items()):
        if conn.dialect.name != "postgresql":
            _insert_sends(conn, columns, sends)
            continue
        debits = group_debits.take_all(conn) if with_debits and position == last else None
        params: dict[str, Any] = {
            f"campaign_{name}": [send.campaign[name] for send in sends] for name in columns
        }
        params["payers"] = [send.paid.debit.account_id for send in sends]
        params["amounts"] = [send.paid.debit.amount for send in sends]
        params["created"] = [send.now_ms for send in sends]
        params["message_send"] = [
            number for number, send in enumerate(sends, start=1) for _ in send.messages
        ]
        for name in MESSAGE_COLUMNS:
            params[f"message_{name}"] = [row[name] for send in sends for row in send.messages]
        if debits is not None:
            params["debit_accounts"], params["debit_amounts"] = debits.accounts, debits.amounts
        rows = _group_statement(columns, debits is not None).rows(conn, params)
        ids = {row[0]: row[1] for row in rows if row[0] is not None}
        for number, send in enumerate(sends, start=1):
            send.paid._campaign_id = ids[number]
        if debits is not None:
            debits.taken(conn, [row[1:] for row in rows if row[0] is None])


_LAST_CAMPAIGN = Precompiled(select(func.coalesce(func.max(campaigns.c.id), 0)))
_INSERT_CAMPAIGNS = Precompiled(insert(campaigns))


def _insert_sends(conn: Connection, columns: tuple[str, ...], sends: list[_Deferred]) -> None:
    """SQLite: the sends' campaigns, ledger rows and messages, one multi-row INSERT a table
    (store.precompiled); the campaign ids are drawn first, as on PostgreSQL, so that ledger
    rows and messages name theirs (the writer holds the write lock: nobody else inserts)."""
    last = _LAST_CAMPAIGN.rows(conn, {})[0][0]
    campaign_rows, ledger_rows, message_rows = [], [], []
    for campaign_id, send in enumerate(sends, start=last + 1):
        send.paid._campaign_id = campaign_id
        campaign_rows.append({"id": campaign_id, **{name: send.campaign[name] for name in columns}})
        debit = send.paid.debit
        if debit.amount:
            ledger_rows.append(
                ledger.ledger_row(
                    debit.account_id,
                    -debit.amount,
                    ledger.LedgerReason.CAMPAIGN,
                    campaign_id,
                    "",
                    send.now_ms,
                )
            )
        message_rows += [{**row, "campaign_id": campaign_id} for row in send.messages]
    _INSERT_CAMPAIGNS.many(conn, campaign_rows)
    ledger.append_rows(conn, ledger_rows)
    campaign_store.insert_messages(conn, message_rows)


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
    debit = group_debits.COVERED_DEBIT.cte("debit")
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


# The group's debits in the same statement as its sends (store.group_debits._SETTLE's
# conditions and lock order): one row per account debited, none for a refused one.
_GROUP_DEBITS = (
    " wanted AS (SELECT * FROM unnest(:debit_accounts, :debit_amounts) AS w(account, amount)),"
    " locked AS MATERIALIZED (SELECT id FROM accounts"
    " WHERE id IN (SELECT account FROM wanted) ORDER BY id FOR NO KEY UPDATE),"
    " debited AS (UPDATE accounts SET balance = accounts.balance - wanted.amount"
    " FROM wanted, locked WHERE accounts.id = wanted.account AND accounts.id = locked.id"
    " AND accounts.balance >= wanted.amount AND accounts.suspended_at IS NULL"
    " RETURNING accounts.id, accounts.balance,"
    # store.balance_alerts.watched_trigger, correlated with the account debited
    " (SELECT alert_trigger FROM balance_notifications"
    " WHERE account_id = accounts.id AND alert_trigger > 0) AS trigger),"
)


@lru_cache(maxsize=16)
def _group_statement(campaign_columns: tuple[str, ...], with_debits: bool) -> Precompiled:
    """A group's deferred sends: every campaign, ledger row and message from one array per
    column; each send's number in the group and its campaign id. The ids are drawn first, so
    that ledger rows and messages find their campaign by number. `with_debits`: the group's
    debits too, as (None, account id, balance, trigger) rows after the sends' (number, id)."""
    names = ", ".join(campaign_columns)
    message_names = ", ".join(MESSAGE_COLUMNS)
    debits, returned = "", " SELECT number, id FROM send"
    if with_debits:
        debits = _GROUP_DEBITS
        returned = (
            " SELECT number, id, NULL::bigint, NULL::bigint FROM send"
            " UNION ALL SELECT NULL, id, balance, trigger FROM debited"
        )
    sql = (
        "WITH send AS MATERIALIZED ("
        " SELECT nextval(pg_get_serial_sequence('campaigns', 'id')) AS id, u.*"
        f" FROM unnest({', '.join(f':campaign_{n}' for n in campaign_columns)},"
        " :payers, :amounts, :created)"
        f" WITH ORDINALITY AS u({names}, payer, amount, created, number)),"
        f" campaign AS (INSERT INTO campaigns (id, {names}) SELECT id, {names} FROM send),"
        " ledger_row AS (INSERT INTO credit_ledger"
        " (account_id, amount, reason, campaign_id, note, created_at)"
        f" SELECT payer, -amount, '{ledger.LedgerReason.CAMPAIGN.value}', id, '', created"
        f" FROM send WHERE amount <> 0),{debits}"
        f" queued AS (INSERT INTO messages (campaign_id, {message_names})"
        f" SELECT send.id, {', '.join(f'm.{n}' for n in MESSAGE_COLUMNS)}"
        f" FROM unnest(:message_send, {', '.join(f':message_{n}' for n in MESSAGE_COLUMNS)})"
        f" AS m(send_number, {message_names}) JOIN send ON send.number = m.send_number)"
        f"{returned}"
    )
    binds = [
        bindparam(f"campaign_{name}", type_=ARRAY(campaigns.c[name].type))
        for name in campaign_columns
    ]
    binds += [
        bindparam("payers", type_=ARRAY(credit_ledger.c.account_id.type)),
        bindparam("amounts", type_=ARRAY(credit_ledger.c.amount.type)),
        bindparam("created", type_=ARRAY(credit_ledger.c.created_at.type)),
        bindparam("message_send", type_=ARRAY(Integer)),
    ]
    binds += [
        bindparam(f"message_{name}", type_=ARRAY(messages.c[name].type)) for name in MESSAGE_COLUMNS
    ]
    if with_debits:
        binds += [
            bindparam("debit_accounts", type_=ARRAY(accounts.c.id.type)),
            bindparam("debit_amounts", type_=ARRAY(accounts.c.balance.type)),
        ]
    return Precompiled(text(sql).bindparams(*binds))
