"""Versions of the shared caches. A write that makes cached entries wrong bumps its cache's
version in the same transaction; each process polls the versions and drops what changed."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from relais.store.tables import cache_epochs

# Token owners, logins and account states (suspension, allowed countries, ...).
ACCOUNTS = "accounts"
# Tables the operator edits: prices, routes, moderation rules, caps.
OPERATOR_TABLES = "operator_tables"


NAMES = (ACCOUNTS, OPERATOR_TABLES)  # the migration creates one row for each


def bump(conn: Connection, name: str) -> None:
    conn.execute(
        update(cache_epochs)
        .where(cache_epochs.c.name == name)
        .values(version=cache_epochs.c.version + 1)
    )


def versions(conn: Connection) -> dict[str, int]:
    return dict(conn.execute(select(cache_epochs.c.name, cache_epochs.c.version)).all())
