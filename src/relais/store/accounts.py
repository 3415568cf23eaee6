"""Accounts and their cached balance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from relais.core.status import CampaignStatus, MessageStatus
from relais.store.tables import accounts, campaigns, messages

_parent = accounts.alias("parent")

# The profile columns (SMSFactor POST /account), empty text when not given.
PROFILE_FIELDS = (
    "firstname",
    "lastname",
    "company",
    "type",
    "city",
    "phone",
    "address1",
    "address2",
    "zip",
    "sender",
    "description",
    "lang",
)


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: int
    email: str
    password_hash: str
    country: str
    balance: int
    active: bool
    parent_id: int | None
    unlimited: bool
    # Why the operator suspended this account or its parent; None when neither is.
    suspension: str | None = None


_COLUMNS = (
    accounts.c.id,
    accounts.c.email,
    accounts.c.password_hash,
    accounts.c.country,
    accounts.c.balance,
    accounts.c.active,
    accounts.c.parent_id,
    accounts.c.unlimited,
    accounts.c.suspended_at,
    accounts.c.suspension_reason,
    _parent.c.suspended_at,
    _parent.c.suspension_reason,
)
_WITH_PARENT = accounts.outerjoin(_parent, _parent.c.id == accounts.c.parent_id)


def _account(row: Sequence[Any]) -> AccountRow:
    (id_, email, password_hash, country, balance, active, parent_id, unlimited) = row[:8]
    own_at, own_reason, parent_at, parent_reason = row[8:]
    if own_at is not None:
        suspension = own_reason or "suspended by the operator"
    elif parent_at is not None:
        suspension = parent_reason or "the main account is suspended by the operator"
    else:
        suspension = None
    return AccountRow(
        id_, email, password_hash, country, balance, active, parent_id, unlimited, suspension
    )


@dataclass(frozen=True, slots=True)
class AccountDetails:
    """An account with its profile, as GET /account and GET /sub-accounts show it."""

    id: int
    email: str
    country: str
    balance: int
    active: bool
    parent_id: int | None
    unlimited: bool
    profile: Mapping[str, str]


_DETAIL_COLUMNS = (
    accounts.c.id,
    accounts.c.email,
    accounts.c.country,
    accounts.c.balance,
    accounts.c.active,
    accounts.c.parent_id,
    accounts.c.unlimited,
    *(accounts.c[name] for name in PROFILE_FIELDS),
)


def _details(row: Sequence[Any]) -> AccountDetails:
    id_, email, country, balance, active, parent_id, unlimited = row[:7]
    profile = dict(zip(PROFILE_FIELDS, row[7:], strict=True))
    return AccountDetails(id_, email, country, balance, active, parent_id, unlimited, profile)


def insert_account(
    conn: Connection,
    *,
    email: str,
    password_hash: str,
    country: str,
    now_ms: int,
    parent_id: int | None = None,
    unlimited: bool = False,
    profile: Mapping[str, str] | None = None,
) -> int:
    return conn.execute(
        insert(accounts)
        .values(
            email=email,
            password_hash=password_hash,
            country=country,
            balance=0,
            active=True,
            created_at=now_ms,
            parent_id=parent_id,
            unlimited=unlimited,
            **(profile or {}),
        )
        .returning(accounts.c.id)
    ).scalar_one()


def get_by_email(conn: Connection, email: str) -> AccountRow | None:
    row = conn.execute(
        select(*_COLUMNS).select_from(_WITH_PARENT).where(accounts.c.email == email)
    ).first()
    return _account(row) if row else None


def get_by_id(conn: Connection, account_id: int) -> AccountRow | None:
    row = conn.execute(
        select(*_COLUMNS).select_from(_WITH_PARENT).where(accounts.c.id == account_id)
    ).first()
    return _account(row) if row else None


def get_balance(conn: Connection, account_id: int) -> int:
    return conn.execute(select(accounts.c.balance).where(accounts.c.id == account_id)).scalar_one()


def get_details(conn: Connection, account_id: int) -> AccountDetails | None:
    row = conn.execute(select(*_DETAIL_COLUMNS).where(accounts.c.id == account_id)).first()
    return _details(row) if row else None


def get_child(conn: Connection, *, parent_id: int, child_id: int) -> AccountDetails | None:
    """The sub-account `child_id` when it belongs to `parent_id`, else None."""
    row = conn.execute(
        select(*_DETAIL_COLUMNS).where(accounts.c.id == child_id, accounts.c.parent_id == parent_id)
    ).first()
    return _details(row) if row else None


def list_children(conn: Connection, parent_id: int) -> list[AccountDetails]:
    rows = conn.execute(
        select(*_DETAIL_COLUMNS).where(accounts.c.parent_id == parent_id).order_by(accounts.c.id)
    ).all()
    return [_details(row) for row in rows]


def set_active(conn: Connection, account_id: int, active: bool) -> None:
    conn.execute(update(accounts).where(accounts.c.id == account_id).values(active=active))


def child_ids(conn: Connection, parent_id: int) -> list[int]:
    return list(
        conn.execute(select(accounts.c.id).where(accounts.c.parent_id == parent_id)).scalars()
    )


# Campaigns whose waiting messages a suspension holds (moderation holds its own).
_WAITING_CAMPAIGNS = (CampaignStatus.SCHEDULED.value, CampaignStatus.QUEUED.value)


def suspend(conn: Connection, *, account_id: int, reason: str, now_ms: int) -> int:
    """Suspend the account and hold the waiting messages of it and its sub-accounts; how
    many messages were held."""
    conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(
            suspended_at=func.coalesce(accounts.c.suspended_at, now_ms), suspension_reason=reason
        )
    )
    return _move_waiting(
        conn, [account_id, *child_ids(conn, account_id)], MessageStatus.QUEUED, MessageStatus.HELD
    )


def unsuspend(conn: Connection, *, account_id: int) -> int:
    """Lift the account's suspension, make it active, and release the messages a suspension
    held: its own and, for a main account, those of its sub-accounts that are not suspended
    themselves. Nothing is released while the parent stays suspended. How many messages
    went back to the queue."""
    conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id)
        .values(suspended_at=None, suspension_reason="", active=True)
    )
    row = get_by_id(conn, account_id)
    if row is None or row.suspension is not None:
        return 0
    children = conn.execute(
        select(accounts.c.id).where(
            accounts.c.parent_id == account_id, accounts.c.suspended_at.is_(None)
        )
    ).scalars()
    return _move_waiting(conn, [account_id, *children], MessageStatus.HELD, MessageStatus.QUEUED)


def _move_waiting(
    conn: Connection, account_ids: list[int], old: MessageStatus, new: MessageStatus
) -> int:
    waiting = select(campaigns.c.id).where(
        campaigns.c.account_id.in_(account_ids), campaigns.c.status.in_(_WAITING_CAMPAIGNS)
    )
    return conn.execute(
        update(messages)
        .where(messages.c.campaign_id.in_(waiting), messages.c.status == old.value)
        .values(status=new.value)
    ).rowcount


def is_suspended(conn: Connection, account_id: int) -> bool:
    """Whether the account or its parent is suspended."""
    return (
        conn.execute(
            select(accounts.c.id)
            .select_from(_WITH_PARENT)
            .where(
                accounts.c.id == account_id,
                or_(accounts.c.suspended_at.is_not(None), _parent.c.suspended_at.is_not(None)),
            )
        ).first()
        is not None
    )


@dataclass(frozen=True, slots=True)
class OperatorView:
    """An account as the operator sees it."""

    id: int
    email: str
    company: str
    country: str
    parent_id: int | None
    unlimited: bool
    balance: int
    active: bool
    created_at: int
    sender: str
    suspended_at: int | None
    suspension_reason: str
    allowed_countries: str | None  # JSON list, or None for every country


_OPERATOR_COLUMNS = tuple(accounts.c[name] for name in OperatorView.__slots__)


def operator_view(conn: Connection, account_id: int) -> OperatorView | None:
    row = conn.execute(select(*_OPERATOR_COLUMNS).where(accounts.c.id == account_id)).first()
    return OperatorView(*row) if row else None


def operator_list(
    conn: Connection,
    *,
    after_id: int = 0,
    limit: int = 100,
    email: str | None = None,
    suspended: bool | None = None,
    parent_id: int | None = None,
) -> list[OperatorView]:
    """Accounts in id order after `after_id`, optionally filtered."""
    query = (
        select(*_OPERATOR_COLUMNS)
        .where(accounts.c.id > after_id)
        .order_by(accounts.c.id)
        .limit(limit)
    )
    if email:
        query = query.where(accounts.c.email.contains(email.lower(), autoescape=True))
    if suspended is not None:
        column = accounts.c.suspended_at
        query = query.where(column.is_not(None) if suspended else column.is_(None))
    if parent_id is not None:
        query = query.where(accounts.c.parent_id == parent_id)
    return [OperatorView(*row) for row in conn.execute(query)]
