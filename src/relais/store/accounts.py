"""Accounts and their cached balance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, func, insert, select, update

from relais.store.tables import accounts, campaigns, credit_ledger

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


_COLUMNS = (
    accounts.c.id,
    accounts.c.email,
    accounts.c.password_hash,
    accounts.c.country,
    accounts.c.balance,
    accounts.c.active,
    accounts.c.parent_id,
    accounts.c.unlimited,
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


def _details(row) -> AccountDetails:
    fixed = row[:7]
    profile = dict(zip(PROFILE_FIELDS, row[7:], strict=True))
    return AccountDetails(*fixed, profile=profile)


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
    row = conn.execute(select(*_COLUMNS).where(accounts.c.email == email)).first()
    return AccountRow(*row) if row else None


def get_by_id(conn: Connection, account_id: int) -> AccountRow | None:
    row = conn.execute(select(*_COLUMNS).where(accounts.c.id == account_id)).first()
    return AccountRow(*row) if row else None


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


def campaign_spending(
    conn: Connection, *, account_ids: Sequence[int], start_ms: int, end_ms: int
) -> dict[int, int]:
    """Credits spent between two instants by each account's campaigns: their debits minus
    their refunds, wherever the ledger rows are (an unlimited sub-account's debits are on its
    parent's ledger, with the sub-account's campaign id)."""
    if not account_ids:
        return {}
    rows = conn.execute(
        select(campaigns.c.account_id, func.coalesce(func.sum(credit_ledger.c.amount), 0))
        .select_from(
            credit_ledger.join(
                campaigns,
                and_(
                    credit_ledger.c.campaign_id == campaigns.c.id,
                    campaigns.c.account_id.in_(list(account_ids)),
                ),
            )
        )
        .where(
            credit_ledger.c.reason.in_(("campaign", "refund")),
            credit_ledger.c.created_at >= start_ms,
            credit_ledger.c.created_at < end_ms,
        )
        .group_by(campaigns.c.account_id)
    ).all()
    spent = dict.fromkeys(account_ids, 0)
    for account_id, total in rows:
        spent[account_id] = -int(total)
    return spent
