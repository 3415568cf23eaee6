"""Queries of the screening every send applies (core.screening), read in the send's own
transaction: what the database says of the recipients' numbers.

* `screen_one`: blacklist, NPAI list and the anti-flood counts of a single recipient in one
  statement (the hot path of GET /send);
* `listed_among`: which of many numbers are on the blacklist and on the NPAI list;
* `recent_texts`: for many recipients, the messages each received within the flood window,
  counted per text (a list campaign's merged texts differ per recipient);
* `flood_possible`: one index probe that tells when no message can be in the window at all;
* `flood_locks`: on PostgreSQL, serialise the sends of one account (a single send: of one
  account to one number) across processes so two concurrent transactions cannot both pass a
  flood limit (SQLite's single writer already does). A send declares them to `Database.write`,
  which takes them before the send reads its counts.

The anti-flood window around a message due at D is the open interval (D - 1 h, D + 1 h), read
on `messages.due_at`: a limit then holds in every hour, scheduled messages included. Cancelled
messages never went out and do not count."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Connection,
    String,
    Text,
    and_,
    bindparam,
    case,
    exists,
    func,
    select,
    text,
    true,
)

from relais.core.status import MessageStatus
from relais.store.advisory_locks import AdvisoryLock
from relais.store.json_rows import as_json_rows, json_rows
from relais.store.precompiled import Precompiled
from relais.store.tables import blacklist, campaigns, messages, npai

CHUNK = 10_000  # numbers per query (one array or JSON parameter)
_CANCELLED = MessageStatus.CANCELLED.value

_m, _c = messages, campaigns
_sent_text = func.coalesce(_m.c.text, _c.c.text)


def _in_window(destination_clause, account=None, since=None, until=None):
    """Messages of the account within the window; bound parameters unless given columns."""
    return and_(
        _m.c.account_id == (bindparam("account") if account is None else account),
        destination_clause,
        _m.c.due_at > (bindparam("since") if since is None else since),
        _m.c.due_at < (bindparam("until") if until is None else until),
        _m.c.status != _CANCELLED,
    )


def _listed(table, account=None, number=None):
    return exists().where(
        table.c.account_id == (bindparam("account") if account is None else account),
        table.c.destination == (bindparam("number") if number is None else number),
    )


def _recent(number, body, **window):
    """(messages in the window, of them with `body`) of one number, as a subquery."""
    return (
        select(
            func.count().label("total"),
            func.coalesce(func.sum(case((_sent_text == body, 1), else_=0)), 0).label("same"),
        )
        .select_from(_m.join(_c, _c.c.id == _m.c.campaign_id))
        .where(_in_window(_m.c.destination == number, **window))
    )


_RECENT_ONE = _recent(bindparam("number"), bindparam("text")).subquery()
# Built once: constructing statements costs more than running them on the hot path.
_SCREEN_ONE = Precompiled(select(_listed(blacklist), _listed(npai)))
_SCREEN_ONE_FLOOD = Precompiled(
    select(_listed(blacklist), _listed(npai), _RECENT_ONE.c.total, _RECENT_ONE.c.same).select_from(
        _RECENT_ONE
    )
)


def _screen_many():
    """PostgreSQL: `screen_one` for many (account, number, text, window) at once, the keys as
    one array per field (a window of (0, 0) holds no message: anti-flood off)."""
    key = (
        func.unnest(
            bindparam("accounts", type_=ARRAY(BigInteger)),
            bindparam("numbers", type_=ARRAY(String)),
            bindparam("texts", type_=ARRAY(Text)),
            bindparam("sinces", type_=ARRAY(BigInteger)),
            bindparam("untils", type_=ARRAY(BigInteger)),
        )
        .table_valued("account", "number", "body", "since", "until", with_ordinality="position")
        .render_derived()
    )
    c = key.c
    recent = _recent(c.number, c.body, account=c.account, since=c.since, until=c.until).lateral()
    return Precompiled(
        select(
            _listed(blacklist, c.account, c.number),
            _listed(npai, c.account, c.number),
            recent.c.total,
            recent.c.same,
        )
        .select_from(key.join(recent, true()))
        .order_by(c.position)
    )


_SCREEN_MANY = _screen_many()


def _screen_many_sqlite():
    """SQLite: the same, the keys as one JSON text of [account, number, text, since, until]
    rows (store.json_rows)."""
    key = json_rows("keys", "account", "number", "body", "since", "until")
    c = key.c
    recent = _recent(c.number, c.body, account=c.account, since=c.since, until=c.until)
    return Precompiled(
        select(
            _listed(blacklist, c.account, c.number),
            _listed(npai, c.account, c.number),
            recent.with_only_columns(recent.selected_columns.total).scalar_subquery(),
            recent.with_only_columns(recent.selected_columns.same).scalar_subquery(),
        )
        .select_from(key)
        .order_by(c.position)
    )


_SCREEN_MANY_SQLITE = _screen_many_sqlite()

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
NO_JIT = text("SET LOCAL jit = off")

# 'RELS': the namespace of the account's anti-flood lock (two-key advisory locks). A send to
# one number takes it shared plus an exclusive lock on (account, number) in the one-key space
# (PostgreSQL keeps the two spaces apart), so single sends to different numbers run side by
# side; a send to many numbers takes the account's lock exclusive.
_FLOOD_LOCK_SPACE = 0x52454C53


def _number_key(account_id: int, number: str) -> int:
    """A signed 64-bit key for (account, number), the same in every process; a collision only
    makes two sends wait for each other."""
    digest = hashlib.blake2b(f"{account_id}:{number}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def flood_locks(account_id: int, number: str | None = None) -> tuple[AdvisoryLock, ...]:
    """The anti-flood locks a send declares to `Database.write` (PostgreSQL takes them before
    the send reads its counts): the account's sends, or with `number` its sends to that one
    number."""
    account = AdvisoryLock(account_id & 0x7FFFFFFF, space=_FLOOD_LOCK_SPACE)
    if number is None:
        return (account,)
    shared = AdvisoryLock(account.key, space=_FLOOD_LOCK_SPACE, shared=True)
    return (shared, AdvisoryLock(_number_key(account_id, number)))


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
        listed, unreachable = _SCREEN_ONE.rows(conn, params)[0]
        return bool(listed), bool(unreachable), 0, 0
    params.update(since=window[0], until=window[1], text=text)
    listed, unreachable, total, same = _SCREEN_ONE_FLOOD.rows(conn, params)[0]
    return bool(listed), bool(unreachable), int(total), int(same)


# What `screen_many` screens: the account, the number, the send's text, its flood window.
ScreenKey = tuple[int, str, str, tuple[int, int] | None]


def screen_many(conn: Connection, keys: list[ScreenKey]) -> list[tuple[bool, bool, int, int]]:
    """`screen_one` for each key, in order, in one statement (a group's single sends,
    store.write_groups)."""
    if len(keys) == 1:  # one key: the simpler statement
        account, number, body, window = keys[0]
        return [screen_one(conn, account_id=account, number=number, text=body, window=window)]
    if conn.dialect.name == "postgresql":
        rows = _SCREEN_MANY.rows(
            conn,
            {
                "accounts": [key[0] for key in keys],
                "numbers": [key[1] for key in keys],
                "texts": [key[2] for key in keys],
                "sinces": [key[3][0] if key[3] else 0 for key in keys],
                "untils": [key[3][1] if key[3] else 0 for key in keys],
            },
        )
    else:
        rows = _SCREEN_MANY_SQLITE.rows(
            conn, {"keys": as_json_rows((a, n, t, *(w or (0, 0))) for a, n, t, w in keys)}
        )
    return [
        (bool(listed), bool(unreachable), int(total), int(same))
        for listed, unreachable, total, same in rows
    ]


def numbers_param(conn: Connection, numbers: Sequence[str]) -> Any:
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
        conn.execute(NO_JIT)
    statement = _RECENT_PG if postgres else _RECENT
    for start in range(0, len(numbers), CHUNK):
        params = {
            "account": account_id,
            "numbers": numbers_param(conn, numbers[start : start + CHUNK]),
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
    for start in range(0, len(numbers), CHUNK):
        params = {
            "account": account_id,
            "numbers": numbers_param(conn, numbers[start : start + CHUNK]),
        }
        for destination, kind in conn.execute(statement, params):
            (blacklisted if kind == "b" else unreachable).add(destination)
    return blacklisted, unreachable


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
