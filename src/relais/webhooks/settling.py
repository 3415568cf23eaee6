"""Commits the outcomes of delivery attempts as they come, one transaction at a time: each
takes everything answered while the previous one ran (one statement per kind of outcome), so
no outcome waits for a batch to fill, and commits keep the order outcomes were given in."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from relais.services import webhook_outbox
from relais.services.platform import Platform
from relais.store.webhook_outbox import Attempt


class Settler:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self._waiting: list[Attempt] = []
        self._next: asyncio.Future[None] | None = None  # done when `_waiting` is committed
        self._task: asyncio.Task[None] | None = None

    def settle(self, attempts: Sequence[Attempt]) -> asyncio.Future[None]:
        """Queue attempts for the next commit; the future is done once they are committed
        (or holds the commit's error). It is shared by the whole batch: await it shielded,
        so a waiter cancelled does not cancel it for the others."""
        self._waiting.extend(attempts)
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
        committed = self._next
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._commit_waiting(), name="relais-webhook-settle")
        return committed

    async def _commit_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            committed, self._next = self._next, None
            assert committed is not None
            try:
                await webhook_outbox.record_attempts(self.platform, batch)
            except Exception as exc:  # each waiter hears of it, and its events' leases lapse
                if not committed.done():
                    committed.set_exception(exc)
            else:
                if not committed.done():
                    committed.set_result(None)

    async def flush(self) -> None:
        """Wait until everything queued is committed (errors are the waiters' business)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
