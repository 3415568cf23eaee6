"""Per-account settings rows (retention, balance notification): one row per account,
written on the account's first change and updated in place afterwards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def change_settings(
    conn: Connection, table: Table, *, account_id: int, values: Mapping[str, Any], now_ms: int
) -> None:
    """Set `values` on the account's row of `table` (the others keep their value, their
    defaults for a new row). Insert-if-missing then update, so two concurrent first writes
    for one account cannot collide on the primary key."""
    dialect_insert = postgresql_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        dialect_insert(table)
        .values(account_id=account_id, updated_at=now_ms)
        .on_conflict_do_nothing(index_elements=["account_id"])
    )
    conn.execute(
        update(table)
        .where(table.c.account_id == account_id)
        .values(**dict(values), updated_at=now_ms)
    )


def read_settings(
    conn: Connection, table: Table, fields: Sequence[str], account_id: int
) -> dict[str, Any] | None:
    """The account's `fields` of `table` by name, or None when it never set any."""
    row = conn.execute(
        select(*(table.c[f] for f in fields)).where(table.c.account_id == account_id)
    ).first()
    return dict(zip(fields, row, strict=True)) if row else None
