"""Statements run on the PostgreSQL driver's own connection (asyncpg), inside the
transaction SQLAlchemy holds: where a million rows through SQLAlchemy's result rows or
parameter processing cost twice as much as asyncpg's records and COPY."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import await_only

from relais.core.errors import StorageError

T = TypeVar("T")


def on_asyncpg(conn: Connection, call: Callable[[Any], Awaitable[T]]) -> T:
    """PostgreSQL: run `call(asyncpg connection)` on the transaction's own connection, its
    errors reported like SQLAlchemy's."""
    import asyncpg  # the driver of every PostgreSQL URL (store.database.async_url)

    try:
        return await_only(call(conn.connection.driver_connection))
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise StorageError(f"database error: {type(exc).__name__}") from exc


def fetch_pg(conn: Connection, compiled: SQLCompiler, params: Mapping[str, Any]) -> list[Any]:
    """The rows of a statement compiled for asyncpg, as asyncpg records (tuples by position)."""
    args = [params[name] for name in compiled.positiontup or ()]
    return on_asyncpg(conn, lambda driver: driver.fetch(compiled.string, *args))
