"""Feeds due messages from the outbound queue to a connector and stores what comes back.

Claims are leases (store.outbound), so a dispatcher that dies mid-batch loses nothing: its
rows become claimable again when the lease runs out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from relais.core.instant import to_ms
from relais.delivery.connectors.base import Connector
from relais.services.platform import Platform
from relais.store import outbound

log = logging.getLogger("relais.dispatcher")


class Dispatcher:
    def __init__(
        self,
        platform: Platform,
        connector: Connector,
        *,
        batch_size: int = 500,
        lease_ms: int = 60_000,
        idle_poll_s: float = 0.25,
        linger_s: float = 0.05,
    ) -> None:
        self.platform = platform
        self.connector = connector
        self.batch_size = batch_size
        self.lease_ms = lease_ms
        self.idle_poll_s = idle_poll_s
        # After a wake-up, wait this long so one claim takes many messages: a few ms of
        # delivery latency buys far fewer transactions than claiming each send alone.
        self.linger_s = linger_s
        self._wakeup = asyncio.Event()
        self._receipts: list[outbound.Receipt] = []
        self._receipts_ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        # Held from submit until its outcome is stored: a receipt can only be matched to a
        # message once its carrier id is committed, so receipt flushes wait on it.
        self._recording = asyncio.Lock()
        self.submitted = 0
        self.receipts_applied = 0

    def wake(self) -> None:
        """Called when messages due now were stored."""
        self._wakeup.set()

    def _accept_receipts(self, receipts: Sequence[outbound.Receipt]) -> None:
        self._receipts.extend(receipts)
        self._receipts_ready.set()

    async def start(self) -> None:
        await self.connector.start(self._accept_receipts)
        self._tasks = [
            asyncio.create_task(self._dispatch_loop(), name="relais-dispatch"),
            asyncio.create_task(self._receipt_loop(), name="relais-receipts"),
        ]

    async def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        self._receipts_ready.set()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.connector.stop()
        await self._flush_receipts()

    async def _dispatch_loop(self) -> None:
        while not self._stopping:
            try:
                sent = await self.dispatch_once()
            except Exception:
                log.exception("dispatch failed; retrying")
                sent = 0
            if sent < self.batch_size:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.idle_poll_s)
                    await asyncio.sleep(self.linger_s)

    async def dispatch_once(self) -> int:
        """Claim one batch of due messages and submit it; how many were claimed."""
        now_ms = to_ms(self.platform.clock())
        batch = await self.platform.db.write(
            lambda conn: outbound.claim_due(
                conn, now_ms=now_ms, limit=self.batch_size, lease_ms=self.lease_ms
            )
        )
        if not batch:
            return 0
        async with self._recording:
            outcomes = await self.connector.submit(batch)
            done_ms = to_ms(self.platform.clock())
            await self.platform.db.write(
                lambda conn: outbound.record_submits(conn, outcomes, now_ms=done_ms)
            )
        self.submitted += len(outcomes)
        return len(batch)

    async def _receipt_loop(self) -> None:
        while not self._stopping:
            await self._receipts_ready.wait()
            self._receipts_ready.clear()
            try:
                await self._flush_receipts()
            except Exception:
                log.exception("storing receipts failed; retrying")
                await asyncio.sleep(0.5)
                self._receipts_ready.set()

    async def _flush_receipts(self) -> None:
        async with self._recording:
            await self._store_receipts()

    async def _store_receipts(self) -> None:
        while self._receipts:
            batch, self._receipts = self._receipts[:2000], self._receipts[2000:]
            try:
                self.receipts_applied += await self.platform.db.write(
                    lambda conn, batch=batch: outbound.apply_receipts(conn, batch)
                )
            except Exception:
                self._receipts = batch + self._receipts
                raise
