"""The operator suspends and unlocks accounts.

A suspended account, and every sub-account of it, is refused on every request (status -1
with the reason). Its waiting messages, and its sub-accounts', are held, not lost: they go
back to the queue when the account is unlocked (those of campaigns in moderation wait for
their review)."""

from __future__ import annotations

from relais.core.instant import to_ms
from relais.errors import InvalidField, NotFound
from relais.services.platform import Platform
from relais.store import accounts as account_store
from relais.store import audit, cache_epochs

MAX_REASON = 200


async def suspend(platform: Platform, *, actor: str, account_id: int, reason: str = "") -> int:
    """Suspend an account; how many waiting messages were held."""
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise InvalidField(f"The reason has at most {MAX_REASON} characters")
    now_ms = to_ms(platform.clock())

    def work(conn) -> int:
        if account_store.get_by_id(conn, account_id) is None:
            raise NotFound(f"No account {account_id}")
        held = account_store.suspend(conn, account_id=account_id, reason=reason, now_ms=now_ms)
        cache_epochs.bump(conn, cache_epochs.ACCOUNTS)
        audit.record(
            conn,
            actor=actor,
            action="account.suspend",
            now_ms=now_ms,
            account_id=account_id,
            details={"reason": reason, "held_messages": held},
        )
        return held

    held = await platform.db.write(work)
    platform.forget_cached(cache_epochs.ACCOUNTS)
    return held


async def unlock(platform: Platform, *, actor: str, account_id: int) -> int:
    """Lift an account's suspension (and lock); how many held messages went back to the
    queue."""
    now_ms = to_ms(platform.clock())

    def work(conn) -> int:
        if account_store.get_by_id(conn, account_id) is None:
            raise NotFound(f"No account {account_id}")
        released = account_store.unsuspend(conn, account_id=account_id)
        cache_epochs.bump(conn, cache_epochs.ACCOUNTS)
        audit.record(
            conn,
            actor=actor,
            action="account.unlock",
            now_ms=now_ms,
            account_id=account_id,
            details={"released_messages": released},
        )
        return released

    released = await platform.db.write(work)
    platform.forget_cached(cache_epochs.ACCOUNTS)
    if released:
        platform.on_queued()
    return released
