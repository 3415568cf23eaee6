"""An account's sending policy as stored: allowed countries, default sender, monthly caps per
country and the usage counters that enforce them.

Usage rows: `country_usage(A, country, month)` counts the messages accepted that month to
that country from A and A's sub-accounts. A row is kept only while A has a cap on that
country (setting a cap recounts the month from the messages; removing it drops the row), so
sends of accounts without caps never touch the table. Months are calendar months in
Europe/Paris, named by the send's acceptance time ("YYYY-MM")."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from relais.core.instant import from_ms, to_ms
from relais.core.schedule import PARIS
from relais.core.status import MessageStatus
from relais.store.tables import accounts, campaigns, country_caps, country_usage, messages

# Messages that never consumed a cap: refused or cancelled ones, and those without a route.
_NOT_COUNTED = (MessageStatus.CANCELLED.value, MessageStatus.ROUTE_NOT_AVAILABLE.value)


def month_of(instant_ms: int) -> str:
    """The calendar month (Europe/Paris) an instant falls in, as the counters name it."""
    return from_ms(instant_ms).astimezone(PARIS).strftime("%Y-%m")


def month_start_ms(instant_ms: int) -> int:
    """The first instant of that month (midnight on the 1st, Europe/Paris)."""
    local = from_ms(instant_ms).astimezone(PARIS)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return to_ms(start.replace(tzinfo=PARIS))


@dataclass(frozen=True, slots=True)
class AccountSettings:
    id: int
    parent_id: int | None
    sender: str
    allowed_countries: tuple[str, ...] | None


def _countries(raw: str | None) -> tuple[str, ...] | None:
    if raw is None:
        return None
    return tuple(json.loads(raw))


def get_settings(conn: Connection, account_id: int) -> AccountSettings | None:
    row = conn.execute(
        select(
            accounts.c.id, accounts.c.parent_id, accounts.c.sender, accounts.c.allowed_countries
        ).where(accounts.c.id == account_id)
    ).first()
    if row is None:
        return None
    return AccountSettings(row.id, row.parent_id, row.sender, _countries(row.allowed_countries))


def set_allowed_countries(
    conn: Connection, *, account_id: int, countries: Sequence[str] | None
) -> bool:
    """Store the list (None: every country); False when the account does not exist."""
    value = None if countries is None else json.dumps(list(countries))
    return bool(
        conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(allowed_countries=value)
        ).rowcount
    )


def set_default_sender(conn: Connection, *, account_id: int, sender: str) -> bool:
    return bool(
        conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(sender=sender)
        ).rowcount
    )


# --- caps --------------------------------------------------------------------------------


def caps_of(conn: Connection, account_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """{account_id: {country: monthly_limit}} for each of `account_ids`."""
    found: dict[int, dict[str, int]] = {account_id: {} for account_id in account_ids}
    rows = conn.execute(
        select(country_caps.c.account_id, country_caps.c.country, country_caps.c.monthly_limit)
        .where(country_caps.c.account_id.in_(list(account_ids)))
        .order_by(country_caps.c.account_id, country_caps.c.country)
    )
    for account_id, country, limit in rows:
        found[account_id][country] = limit
    return found


def set_cap(conn: Connection, *, account_id: int, country: str, monthly_limit: int) -> None:
    updated = conn.execute(
        update(country_caps)
        .where(country_caps.c.account_id == account_id, country_caps.c.country == country)
        .values(monthly_limit=monthly_limit)
    ).rowcount
    if not updated:
        conn.execute(
            insert(country_caps).values(
                account_id=account_id, country=country, monthly_limit=monthly_limit
            )
        )


def remove_cap(conn: Connection, *, account_id: int, country: str, month: str) -> bool:
    """Drop the cap and this month's counter (no longer kept up to date without a cap)."""
    removed = conn.execute(
        delete(country_caps).where(
            country_caps.c.account_id == account_id, country_caps.c.country == country
        )
    ).rowcount
    conn.execute(
        delete(country_usage).where(
            country_usage.c.account_id == account_id,
            country_usage.c.country == country,
            country_usage.c.month == month,
        )
    )
    return bool(removed)


def recount_usage(
    conn: Connection, *, account_id: int, country: str, month: str, month_start_ms: int
) -> int:
    """Set this month's counter of (account and its sub-accounts, country) from the messages
    themselves; the count. Run when a cap is set, so a cap counts the whole month."""
    family = select(accounts.c.id).where(
        or_(accounts.c.id == account_id, accounts.c.parent_id == account_id)
    )
    used = conn.execute(
        select(func.count())
        .select_from(messages.join(campaigns, messages.c.campaign_id == campaigns.c.id))
        .where(
            campaigns.c.account_id.in_(family.scalar_subquery()),
            campaigns.c.created_at >= month_start_ms,
            messages.c.country == country,
            messages.c.status.not_in(_NOT_COUNTED),
        )
    ).scalar_one()
    _lock_row(conn, account_id, country, month)
    conn.execute(
        update(country_usage)
        .where(
            country_usage.c.account_id == account_id,
            country_usage.c.country == country,
            country_usage.c.month == month,
        )
        .values(messages=used)
    )
    return used


# --- usage on the send path ---------------------------------------------------------------

_ADD_USAGE = (
    update(country_usage)
    .where(
        country_usage.c.account_id == bindparam("a"),
        country_usage.c.country == bindparam("c"),
        country_usage.c.month == bindparam("m"),
    )
    .values(messages=country_usage.c.messages + bindparam("n"))
)


def _upsert_touch(build):
    statement = build(country_usage).values(
        account_id=bindparam("a"), country=bindparam("c"), month=bindparam("m"), messages=0
    )
    return statement.on_conflict_do_update(
        index_elements=[country_usage.c.account_id, country_usage.c.country, country_usage.c.month],
        set_={"messages": statement.excluded.messages + country_usage.c.messages},
    ).returning(country_usage.c.messages)


# Built once: constructing statements costs more than running them on the hot path.
_TOUCH = {"postgresql": _upsert_touch(postgresql.insert), "sqlite": _upsert_touch(sqlite.insert)}


def _lock_row(conn: Connection, account_id: int, country: str, month: str) -> int:
    """Create the counter if missing and lock it for this transaction; its value.

    An upsert that touches the row takes its row lock on PostgreSQL and returns the latest
    committed value once a concurrent holder commits, so read-check-increment is atomic; on
    SQLite the writer lock (BEGIN IMMEDIATE) already serialises every write transaction."""
    statement = _TOUCH[conn.dialect.name]
    return conn.execute(statement, {"a": account_id, "c": country, "m": month}).scalar_one()


def lock_usage(
    conn: Connection, *, keys: Iterable[tuple[int, str]], month: str
) -> dict[tuple[int, str], int]:
    """Lock the counters of (account_id, country) pairs, in a fixed order so concurrent
    transactions cannot deadlock on them; their current values."""
    return {key: _lock_row(conn, key[0], key[1], month) for key in sorted(set(keys))}


def read_usage(
    conn: Connection, *, keys: Iterable[tuple[int, str]], month: str
) -> dict[tuple[int, str], int]:
    """The counters without locking (for simulations); 0 where there is no row."""
    wanted = set(keys)
    found = dict.fromkeys(wanted, 0)
    if not wanted:
        return found
    rows = conn.execute(
        select(country_usage.c.account_id, country_usage.c.country, country_usage.c.messages).where(
            country_usage.c.account_id.in_({a for a, _ in wanted}),
            country_usage.c.country.in_({c for _, c in wanted}),
            country_usage.c.month == month,
        )
    )
    for account_id, country, used in rows:
        if (account_id, country) in found:
            found[account_id, country] = used
    return found


def add_usage(conn: Connection, *, amounts: Mapping[tuple[int, str], int], month: str) -> None:
    """Add to counters locked by `lock_usage` in the same transaction."""
    params = [{"a": a, "c": c, "m": month, "n": n} for (a, c), n in amounts.items() if n]
    if params:
        conn.execute(_ADD_USAGE, params)


def release_usage(
    conn: Connection, *, account_id: int, month: str, counts: Mapping[str, int]
) -> None:
    """Give back messages that will not be sent (a cancel, a refusal) to the counters of the
    account and of its parent, where they exist; never below zero."""
    if not counts:
        return
    parent = select(accounts.c.parent_id).where(accounts.c.id == account_id).scalar_subquery()
    for country, count in sorted(counts.items()):
        conn.execute(
            update(country_usage)
            .where(
                or_(country_usage.c.account_id == account_id, country_usage.c.account_id == parent),
                and_(country_usage.c.country == country, country_usage.c.month == month),
            )
            .values(
                messages=func.max(country_usage.c.messages - count, 0)
                if conn.dialect.name == "sqlite"
                else func.greatest(country_usage.c.messages - count, 0)
            )
        )
