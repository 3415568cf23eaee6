"""Queries of the delivery rules every send applies, and of campaigns sent to contact lists.

Screening (both send paths, read in the send's own transaction):
* `screen_one`: blacklist, NPAI list and the anti-flood counts of a single recipient in one
  statement (the hot path of GET /send);
* `recent_texts`: for many recipients, the messages each received within the flood window,
  counted per text (a list campaign's merged texts differ per recipient);
* `lock_flood`: on PostgreSQL, serialises the sends of one account (a single send: of one
  account to one number) across processes so two concurrent transactions cannot both pass a
  flood limit (SQLite's single writer already does). It is taken before the counts are read.

The anti-flood window around a message due at D is the open interval (D - 1 h, D + 1 h), read
on `messages.due_at`: a limit then holds in every hour, scheduled messages included. Cancelled
messages never went out and do not count.

List campaigns (services/list_sending.py): the caller's lists and their last contact id,
contacts streamed by (list_id, id) keyset pages with their opt-out flags, messages inserted
in bulk, and the `preparing` campaign that chunks add to and that `finish_preparing` closes
(also from the crash-recovery sweep)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    Connection,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from sqlalchemy.engine import Compiled
from sqlalchemy.util import await_only

from relais.core.status import CampaignStatus, MessageStatus
from relais.errors import StorageError
from relais.store import ledger
from relais.store.campaigns import COUNTERS
from relais.store.tables import (
    blacklist,
    campaign_lists,
    campaigns,
    contact_lists,
    contacts,
    credit_ledger,
    messages,
    npai,
)

T = TypeVar("T")

PREPARING = CampaignStatus.PREPARING.value

HOUR_MS = 3_600_000
_CHUNK = 10_000  # numbers per query (one array or JSON parameter)
_CANCELLED = MessageStatus.CANCELLED.value

# --- screening ------------------------------------------------------------------------------

_m, _c = messages, campaigns
_sent_text = func.coalesce(_m.c.text, _c.c.text)


def _in_window(destination_clause):
    return and_(
        _m.c.account_id == bindparam("account"),
        destination_clause,
        _m.c.due_at > bindparam("since"),
        _m.c.due_at < bindparam("until"),
        _m.c.status != _CANCELLED,
    )


def _listed(table):
    return exists().where(
        table.c.account_id == bindparam("account"), table.c.destination == bindparam("number")
    )


_RECENT_ONE = (
    select(
        func.count().label("total"),
        func.coalesce(func.sum(case((_sent_text == bindparam("text"), 1), else_=0)), 0).label(
            "same"
        ),
    )
    .select_from(_m.join(_c, _c.c.id == _m.c.campaign_id))
    .where(_in_window(_m.c.destination == bindparam("number")))
    .subquery()
)
# Built once: constructing statements costs more than running them on the hot path.
_SCREEN_ONE = select(_listed(blacklist), _listed(npai))
_SCREEN_ONE_FLOOD = select(
    _listed(blacklist), _listed(npai), _RECENT_ONE.c.total, _RECENT_ONE.c.same
).select_from(_RECENT_ONE)

# SQLite: the numbers as one JSON text, not thousands of bound parameters (SQLAlchemy
# renders an expanding IN anew for each execution: ~5 µs per number in Python).
_RECENT = text(
    "SELECT m.destination, coalesce(m.text, c.text), count(*) FROM messages m"
    " JOIN campaigns c ON c.id = m.campaign_id"
    " WHERE m.destination IN (SELECT value FROM json_each(:numbers))"
    " AND m.account_id = :account AND m.due_at > :since AND m.due_at < :until"
    " AND m.status <> 'cancelled' GROUP BY 1, 2"
)
# PostgreSQL: one index probe per number, forced by the shape of the query (a LATERAL
# subquery behind an OFFSET 0 fence). With the numbers as one `= ANY(array)` filter the
# planner may prefer a sequential scan of all messages when its statistics are stale (a
# table that just grew by a million rows): seen at 1 s per page.
_RECENT_PG = text(
    "SELECT d.n, coalesce(r.text, c.text), count(*) FROM unnest(:numbers) AS d(n)"
    " CROSS JOIN LATERAL (SELECT m.text, m.campaign_id FROM messages m"
    " WHERE m.destination = d.n AND m.account_id = :account"
    " AND m.due_at > :since AND m.due_at < :until AND m.status <> 'cancelled' OFFSET 0) AS r"
    " JOIN campaigns c ON c.id = r.campaign_id GROUP BY 1, 2"
).bindparams(bindparam("numbers", type_=ARRAY(String)))
# These queries read thousands of rows by index: PostgreSQL's JIT, which starts above an
# estimated cost these reach, spends 150-200 ms compiling each of them for a 10-20 ms run.
_NO_JIT = text("SET LOCAL jit = off")

# 'RELS': the namespace of the account's anti-flood lock (two-key advisory locks). A send to
# one number takes it shared plus an exclusive lock on (account, number) in the one-key space
# (PostgreSQL keeps the two spaces apart), so single sends to different numbers run side by
# side; a send to many numbers takes the account's lock exclusive. Always in that order.
_FLOOD_LOCK_SPACE = 0x52454C53
_FLOOD_LOCK = text("SELECT pg_advisory_xact_lock(:space, :key)")
_FLOOD_LOCK_ONE = text(
    "SELECT pg_advisory_xact_lock_shared(:space, :key), pg_advisory_xact_lock(:number_key)"
)


def _number_key(account_id: int, number: str) -> int:
    """A signed 64-bit key for (account, number), the same in every process; a collision only
    makes two sends wait for each other."""
    digest = hashlib.blake2b(f"{account_id}:{number}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_flood(conn: Connection, *, account_id: int, number: str | None = None) -> None:
    """Wait for, then hold until commit, the anti-flood lock (PostgreSQL only) of the account's
    sends, or with `number` of its sends to that one number."""
    if conn.dialect.name != "postgresql":
        return
    params = {"space": _FLOOD_LOCK_SPACE, "key": account_id & 0x7FFFFFFF}
    if number is None:
        conn.execute(_FLOOD_LOCK, params)
    else:
        conn.execute(_FLOOD_LOCK_ONE, {**params, "number_key": _number_key(account_id, number)})


def screen_one(
    conn: Connection,
    *,
    account_id: int,
    number: str,
    text: str,
    window: tuple[int, int] | None,
) -> tuple[bool, bool, int, int]:
    """(blacklisted, on the NPAI list, messages in the flood window, of them with `text`)
    for one number; the counts are 0 when `window` is None (anti-flood off)."""
    params: dict[str, Any] = {"account": account_id, "number": number}
    if window is None:
        listed, unreachable = conn.execute(_SCREEN_ONE, params).one()
        return bool(listed), bool(unreachable), 0, 0
    params.update(since=window[0], until=window[1], text=text)
    listed, unreachable, total, same = conn.execute(_SCREEN_ONE_FLOOD, params).one()
    return bool(listed), bool(unreachable), int(total), int(same)


def _numbers_param(conn: Connection, numbers: Sequence[str]) -> Any:
    """Many numbers as one parameter: an array on PostgreSQL, a JSON text on SQLite."""
    if conn.dialect.name == "postgresql":
        return list(numbers)
    return json.dumps(list(numbers))


def recent_texts(
    conn: Connection, *, account_id: int, numbers: Sequence[str], window: tuple[int, int]
) -> dict[str, dict[str, int]]:
    """For each of `numbers` that received messages within `window`: {text: messages}."""
    found: dict[str, dict[str, int]] = {}
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(_NO_JIT)
    statement = _RECENT_PG if postgres else _RECENT
    for start in range(0, len(numbers), _CHUNK):
        params = {
            "account": account_id,
            "numbers": _numbers_param(conn, numbers[start : start + _CHUNK]),
            "since": window[0],
            "until": window[1],
        }
        for destination, body, count in conn.execute(statement, params):
            found.setdefault(destination, {})[body] = count
    return found


_LISTED = {
    "postgresql": text(
        "SELECT destination, 'b' FROM blacklist WHERE account_id = :account"
        " AND destination = ANY(:numbers)"
        " UNION ALL SELECT destination, 'n' FROM npai WHERE account_id = :account"
        " AND destination = ANY(:numbers)"
    ).bindparams(bindparam("numbers", type_=ARRAY(String))),
    "sqlite": text(
        "SELECT destination, 'b' FROM blacklist WHERE account_id = :account"
        " AND destination IN (SELECT value FROM json_each(:numbers))"
        " UNION ALL SELECT destination, 'n' FROM npai WHERE account_id = :account"
        " AND destination IN (SELECT value FROM json_each(:numbers))"
    ),
}


def listed_among(
    conn: Connection, *, account_id: int, numbers: Sequence[str]
) -> tuple[set[str], set[str]]:
    """Which of `numbers` are on the account's blacklist, and which on its NPAI list, in one
    statement with the numbers as one parameter (a list campaign's page)."""
    blacklisted: set[str] = set()
    unreachable: set[str] = set()
    statement = _LISTED[conn.dialect.name]
    for start in range(0, len(numbers), _CHUNK):
        params = {
            "account": account_id,
            "numbers": _numbers_param(conn, numbers[start : start + _CHUNK]),
        }
        for destination, kind in conn.execute(statement, params):
            (blacklisted if kind == "b" else unreachable).add(destination)
    return blacklisted, unreachable


# --- list campaigns: reading ------------------------------------------------------------------


def owned_lists(conn: Connection, *, account_id: int, list_ids: Iterable[int]) -> dict[int, int]:
    """{list_id: its highest contact id (0 when empty)} for those of `list_ids` that belong to
    `account_id`; the others are absent."""
    wanted = list(set(list_ids))
    owned = conn.execute(
        select(contact_lists.c.id).where(
            contact_lists.c.id.in_(wanted), contact_lists.c.account_id == account_id
        )
    ).scalars()
    return {
        list_id: conn.execute(
            select(func.coalesce(func.max(contacts.c.id), 0)).where(contacts.c.list_id == list_id)
        ).scalar_one()
        for list_id in owned
    }


_INFOS = (contacts.c.info1, contacts.c.info2, contacts.c.info3, contacts.c.info4)


def _flagged(table):
    # IN (subquery): PostgreSQL hashes the account's list once per page (a hashed SubPlan)
    # instead of probing it per contact; SQLite builds it once as an ephemeral index.
    return contacts.c.destination.in_(
        select(table.c.destination).where(table.c.account_id == bindparam("account"))
    )


# One keyset page of a list (index ix_contacts_list), each contact with whether its number is
# on the account's blacklist or NPAI list.
_PAGE = (
    select(
        contacts.c.id,
        contacts.c.destination,
        contacts.c.country,
        *_INFOS,
        contacts.c.npai,
        _flagged(blacklist),
        _flagged(npai),
    )
    .where(
        contacts.c.list_id == bindparam("list_id"),
        contacts.c.id > bindparam("after"),
        contacts.c.id <= bindparam("upto"),
    )
    # (list_id, id): the order of ix_contacts_list, so PostgreSQL walks that index.
    .order_by(contacts.c.list_id, contacts.c.id)
    .limit(bindparam("limit"))
)

# PostgreSQL reads pages on the transaction's own asyncpg connection: a million contacts
# through SQLAlchemy's result rows cost 3.5 µs each, asyncpg's records 1.7 µs.
_PAGE_PG = _PAGE.compile(dialect=asyncpg_dialect())


def contact_page(
    conn: Connection,
    *,
    account_id: int,
    list_id: int,
    after: int,
    upto: int,
    limit: int,
    window: tuple[int, int] | None,
    reach_ms: int = 0,
) -> tuple[Sequence[Any], dict[str, dict[str, int]]]:
    """Up to `limit` contacts of the list with after < id <= upto, in id order, as tuples
    (id, destination, country, info1..4, contact npai flag, blacklisted, on the NPAI list);
    and, when `window` is given, {destination: {text: messages}} within it for their numbers
    (skipped when `flood_possible` says no message can be there)."""
    params: dict[str, Any] = {
        "account": account_id,
        "list_id": list_id,
        "after": after,
        "upto": upto,
        "limit": limit,
    }
    if conn.dialect.name == "postgresql":
        conn.execute(_NO_JIT)
        rows = _fetch_pg(conn, _PAGE_PG, params)
    else:
        rows = conn.execute(_PAGE, params).all()
    recent: dict[str, dict[str, int]] = {}
    if (
        rows
        and window is not None
        and flood_possible(conn, account_id=account_id, window=window, reach_ms=reach_ms)
    ):
        numbers = [row[1] for row in rows]
        recent = recent_texts(conn, account_id=account_id, numbers=numbers, window=window)
    return rows, recent


_ANY_CAMPAIGN = (
    select(campaigns.c.id)
    .where(
        campaigns.c.account_id == bindparam("account"),
        campaigns.c.send_at > bindparam("since"),
        campaigns.c.send_at < bindparam("until"),
        campaigns.c.purged_at.is_(None),
        campaigns.c.id != bindparam("exclude"),
    )
    .limit(1)
)


def flood_possible(
    conn: Connection,
    *,
    account_id: int,
    window: tuple[int, int],
    reach_ms: int,
    exclude_campaign: int = 0,
) -> bool:
    """Whether the account may have messages due within `window`, other than those of
    `exclude_campaign`: a message is never due before its campaign's send time, nor (retried)
    more than `reach_ms` after it. One probe of ix_campaigns_unpurged (account_id, send_at),
    so a campaign to a million numbers of an account that sent nothing lately reads no
    flood counts at all."""
    params = {
        "account": account_id,
        "since": window[0] - reach_ms,
        "until": window[1],
        "exclude": exclude_campaign,
    }
    return conn.execute(_ANY_CAMPAIGN, params).first() is not None


# --- list campaigns: writing ------------------------------------------------------------------

# The columns of a message row a list campaign writes, in this order (the rest are constants
# of the chunk or the table's defaults).
MESSAGE_COLUMNS = (
    "destination",
    "country",
    "text",
    "parts",
    "cost",
    "status",
    "connector",
    "done_at",
    "error",
    "contact_id",
)
_INSERT_COLUMNS = ("campaign_id", "account_id", "due_at", *MESSAGE_COLUMNS)
# SQLite: executemany of one plain INSERT skips SQLAlchemy's per-row parameter processing.
_SQLITE_INSERT = (
    f"INSERT INTO messages ({', '.join(_INSERT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_INSERT_COLUMNS))})"
)


def insert_message_rows(
    conn: Connection, *, campaign_id: int, account_id: int, due_at: int, rows: Sequence[tuple]
) -> None:
    """Insert messages given as tuples in MESSAGE_COLUMNS order."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy_messages(conn, [(campaign_id, account_id, due_at, *row) for row in rows])
        return
    conn.exec_driver_sql(_SQLITE_INSERT, [(campaign_id, account_id, due_at, *row) for row in rows])


def _on_asyncpg(conn: Connection, call: Callable[[Any], Awaitable[T]]) -> T:
    """PostgreSQL: run `call(asyncpg connection)` on the transaction's own connection, its
    errors reported like SQLAlchemy's."""
    import asyncpg  # the driver of every PostgreSQL URL (store.database.async_url)

    try:
        return await_only(call(conn.connection.driver_connection))
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StorageError(f"database error: {type(exc).__name__}") from exc


def _fetch_pg(conn: Connection, compiled: Compiled, params: Mapping[str, Any]) -> list[Any]:
    """The rows of a statement compiled for asyncpg, as asyncpg records (tuples by position)."""
    args = [params[name] for name in compiled.positiontup]
    return _on_asyncpg(conn, lambda driver: driver.fetch(compiled.string, *args))


def _copy_messages(conn: Connection, records: list[tuple]) -> None:
    """COPY the rows in. Measured against one INSERT of unnested arrays (5,000 rows a page):
    11-12 µs a row instead of 14-17, and a third of the Python time."""
    _on_asyncpg(
        conn,
        lambda driver: driver.copy_records_to_table(
            "messages", records=records, columns=_INSERT_COLUMNS
        ),
    )


def add_campaign_lists(conn: Connection, *, campaign_id: int, list_ids: Sequence[int]) -> None:
    conn.execute(
        insert(campaign_lists), [{"campaign_id": campaign_id, "list_id": i} for i in list_ids]
    )


# What chunks add to their campaign: its cost, recipients read and kept, and each counter.
COUNTED = ("cost", "total", "sent", *COUNTERS)


def add_to_preparing(conn: Connection, *, campaign_id: int, amounts: Mapping[str, int]) -> bool:
    """Add a chunk's cost and counters to a campaign still being prepared; False when it is
    no longer (the recovery sweep closed it), and then nothing was changed."""
    values = {name: campaigns.c[name] + amounts.get(name, 0) for name in COUNTED}
    result = conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status == PREPARING)
        .values(values)
    )
    return result.rowcount == 1


def paid_for(conn: Connection, *, campaign_id: int) -> tuple[int | None, int]:
    """(the account that paid for the campaign, what its ledger rows took from it so far)."""
    payer = ledger.payer_of(conn, campaign_id)
    if payer is None:
        return None, 0
    taken = conn.execute(
        select(func.coalesce(func.sum(credit_ledger.c.amount), 0)).where(
            credit_ledger.c.campaign_id == campaign_id, credit_ledger.c.account_id == payer
        )
    ).scalar_one()
    return payer, -int(taken)


def finish_preparing(conn: Connection, *, campaign_id: int, status: str, now_ms: int) -> int | None:
    """Close a prepared campaign: give it `status`, and refund what its debits took beyond
    the cost of the messages it holds. The refund, or None when the campaign is not being
    prepared (already closed: nothing is ever refunded twice)."""
    cost = conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status == PREPARING)
        .values(status=status)
        .returning(campaigns.c.cost)
    ).scalar()
    if cost is None:
        return None
    payer, paid = paid_for(conn, campaign_id=campaign_id)
    refund = paid - cost
    if payer is None or refund <= 0:
        return 0
    ledger.credit(
        conn,
        account_id=payer,
        amount=refund,
        reason=ledger.LedgerReason.REFUND,
        campaign_id=campaign_id,
        note="list campaign: recipients filtered while it was prepared",
        now_ms=now_ms,
    )
    return refund


def stale_preparing(conn: Connection, *, created_before: int) -> list[tuple[int, int, str | None]]:
    """Campaigns left `preparing` since before `created_before` (their process died):
    (id, send_at, moderation_reason)."""
    return [
        tuple(row)
        for row in conn.execute(
            select(campaigns.c.id, campaigns.c.send_at, campaigns.c.moderation_reason).where(
                campaigns.c.status == PREPARING, campaigns.c.created_at < created_before
            )
        )
    ]


def campaign_counts(conn: Connection, *, campaign_id: int) -> dict[str, int]:
    """The campaign's cost, total and counters as its chunks left them."""
    row = conn.execute(
        select(*(campaigns.c[name] for name in COUNTED)).where(campaigns.c.id == campaign_id)
    ).one()
    return dict(zip(COUNTED, row, strict=True))
