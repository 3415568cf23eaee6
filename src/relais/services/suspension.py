"""The operator suspends and unlocks accounts.

A suspended account, and every sub-account of it, is refused on every request (status -1
with the reason). Its waiting messages, and its sub-accounts', are held, not lost: they go
back to the queue when the account is unlocked (those of campaigns in moderation wait for
their review)."""

from __future__ import annotations

from relais.core.errors import InvalidField, NotFound
from relais.services.operator_actions import operator_write
from relais.services.platform import Platform
from relais.store import accounts as account_store
from relais.store import cache_epochs

MAX_REASON = 200


async def suspend(platform: Platform, *, actor: str, account_id: int, reason: str = "") -> int:
    """Suspend an account; how many waiting messages were held."""
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise InvalidField(f"The reason has at most {MAX_REASON} characters")

    def change(conn, now_ms: int) -> int:
        if account_store.get_by_id(conn, account_id) is None:
            raise NotFound(f"No account {account_id}")
        return account_store.suspend(conn, account_id=account_id, reason=reason, now_ms=now_ms)

    return await operator_write(
        platform,
        change,
        actor=actor,
        action="account.suspend",
        account_id=account_id,
        details=lambda held: {"reason": reason, "held_messages": held},
        epoch=cache_epochs.ACCOUNTS,
    )


async def unlock(platform: Platform, *, actor: str, account_id: int) -> int:
    """Lift an account's suspension (and lock); how many held messages went back to the
    queue."""

    def change(conn, _: int) -> int:
        if account_store.get_by_id(conn, account_id) is None:
            raise NotFound(f"No account {account_id}")
        return account_store.unsuspend(conn, account_id=account_id)

    released = await operator_write(
        platform,
        change,
        actor=actor,
        action="account.unlock",
        account_id=account_id,
        details=lambda released: {"released_messages": released},
        epoch=cache_epochs.ACCOUNTS,
    )
    if released:
        platform.on_queued()
    return released
