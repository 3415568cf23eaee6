"""What every use case needs: the database, the settings, the clock and the shared caches.

One `Platform` per process; services take it as their first keyword argument."""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from relais.config import Settings
from relais.core.connector import DeliveryMonitor, WebhookMonitor
from relais.core.login_throttle import LoginThrottle
from relais.store import cache_epochs
from relais.store.database import Database, open_database


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class AccountRef:
    """The authenticated account a request acts for.

    `billing_account_id` is the account whose balance pays for its sends: its own, or its
    parent's for an `unlimited` sub-account. It is resolved once, at authentication, so no
    use case has to know about sub-accounts to debit the right balance."""

    id: int
    email: str
    country: str
    billing_account_id: int
    parent_id: int | None = None
    unlimited: bool = False


CachedT = TypeVar("CachedT")


@dataclass
class TtlCache:
    """A small time-bounded cache; entries are re-read from the database after `ttl` s."""

    ttl: float
    entries: dict[str, tuple[float, object]] = field(default_factory=dict)
    max_entries: int = 100_000

    def get(self, key: str) -> object | None:
        hit = self.entries.get(key)
        if hit is None:
            return None
        if hit[0] < time.monotonic():
            self.entries.pop(key, None)
            return None
        return hit[1]

    def put(self, key: str, value: object) -> None:
        if len(self.entries) >= self.max_entries:
            self.entries.clear()
        self.entries[key] = (time.monotonic() + self.ttl, value)

    def forget(self, key: str) -> None:
        self.entries.pop(key, None)

    async def get_or_load(
        self, key: str, kind: type[CachedT], load: Callable[[], Awaitable[CachedT]]
    ) -> CachedT:
        """The cached `kind` value of `key`, loaded (and cached) when missing or stale."""
        value = self.get(key)
        if isinstance(value, kind):
            return value
        loaded = await load()
        self.put(key, loaded)
        return loaded

    def clear(self) -> None:
        self.entries.clear()


@dataclass
class Platform:
    db: Database
    settings: Settings
    clock: Callable[[], datetime] = utc_now
    # Caches are dropped when their cache epoch moves (see `watch_cache_epochs`); the ttl
    # is only a safety net for a process that cannot read the epochs.
    tokens: TtlCache = field(default_factory=lambda: TtlCache(ttl=60.0))
    logins: TtlCache = field(default_factory=lambda: TtlCache(ttl=60.0))
    # Wrong passwords per account and per client address (core/login_throttle.py).
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    # Operator-edited tables (prices, routes, caps, moderation rules, account policies).
    settings_cache: TtlCache = field(default_factory=lambda: TtlCache(ttl=60.0))
    epoch_versions: dict[str, int] = field(default_factory=dict)
    # Called after a campaign due now is committed, so the dispatcher need not poll for it.
    on_queued: Callable[[], None] = lambda: None
    # Called after a commit that queued webhook events, so the sender need not poll for them.
    on_events: Callable[[], None] = lambda: None
    # The process's dispatcher when it runs one (for status pages and metrics).
    dispatcher: DeliveryMonitor | None = None
    # The process's webhook sender when it runs one (for metrics).
    webhooks: WebhookMonitor | None = None
    # Who this process is, in the reports it writes for the others' metrics.
    owner: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
    )

    @classmethod
    def open(cls, settings: Settings) -> Platform:
        return cls(
            db=open_database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous),
            settings=settings,
        )

    async def close(self) -> None:
        await self.db.close()

    def caches_of(self, epoch: str) -> tuple[TtlCache, ...]:
        if epoch == cache_epochs.ACCOUNTS:
            return (self.tokens, self.logins, self.settings_cache)
        return (self.settings_cache,)

    def forget_cached(self, *epochs: str) -> None:
        """Drop this process's caches of `epochs` now; the write that made them stale must
        also `cache_epochs.bump` them so the other processes follow."""
        for epoch in epochs:
            for cache in self.caches_of(epoch):
                cache.clear()

    async def refresh_cache_epochs(self) -> None:
        """Drop the caches whose epoch another process moved since the last look."""
        current = await self.db.read(cache_epochs.versions)
        changed = [name for name, v in current.items() if self.epoch_versions.get(name) != v]
        self.forget_cached(*changed)
        self.epoch_versions = current
