"""One way to run an operator's change: in one transaction with its audit row and, when it
makes cached entries stale, the bump of their cache epoch; then this process's caches go."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy import Connection

from relais.core.instant import to_ms
from relais.services.platform import Platform
from relais.store import audit, cache_epochs

T = TypeVar("T")
Described = Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None


async def operator_write(
    platform: Platform,
    change: Callable[[Connection, int], T],
    *,
    actor: str,
    action: str,
    account_id: int | Callable[[T], int] | None = None,
    details: Described = None,
    epoch: str | None = None,
) -> T:
    """Run `change(conn, now_ms)`; it raises to refuse, and then nothing is written, audit
    row included. `account_id` and `details` may be functions of the change's result."""
    now_ms = to_ms(platform.clock())

    def work(conn: Connection) -> T:
        result = change(conn, now_ms)
        if epoch is not None:
            cache_epochs.bump(conn, epoch)
        audit.record(
            conn,
            actor=actor,
            action=action,
            now_ms=now_ms,
            account_id=account_id(result) if callable(account_id) else account_id,
            details=details(result) if callable(details) else details,
        )
        return result

    result = await platform.db.write(work)
    if epoch is not None:
        platform.forget_cached(epoch)
    return result
