"""Accounts and their cached balance."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from relais.store.tables import accounts


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: int
    email: str
    password_hash: str
    country: str
    balance: int
    active: bool


_COLUMNS = (
    accounts.c.id,
    accounts.c.email,
    accounts.c.password_hash,
    accounts.c.country,
    accounts.c.balance,
    accounts.c.active,
)


def insert_account(
    conn: Connection, *, email: str, password_hash: str, country: str, now_ms: int
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
