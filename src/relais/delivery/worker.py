"""Feeds one connector from the outbound queue: claim due messages routed to it, submit
them, store what the carrier answered.

A few batches are kept in flight at once, so the connector's window stays full while the
previous batch's answers are being stored."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from relais.core.connector import Connector
from relais.core.instant import to_ms
from relais.services import delivery_reports
from relais.services.platform import Platform

log = logging.getLogger("relais.dispatcher")


class ConnectorWorker:
    def __init__(
        self,
        platform: Platform,
        connector: Connector,
        *,
        batch_size: int = 500,
        lease_ms: int = 60_000,
        idle_poll_s: float = 0.25,
        linger_s: float = 0.05,
        batches_in_flight: int = 2,
        on_recorded: Callable[[], None] = lambda: None,
    ) -> None:
        self.platform = platform
        self.connector = connector
        self.batch_size = batch_size
        self.lease_ms = lease_ms
        self.idle_poll_s = idle_poll_s
        # After a wake-up, wait this long so one claim takes many messages: a few ms of
        # delivery latency buys far fewer transactions than claiming each send alone.
        self.linger_s = linger_s
        self.batches_in_flight = batches_in_flight
        # Told after each commit of submit outcomes (receipts may have been waiting for it).
        self.on_recorded = on_recorded
        self._wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.submitted = 0

    @property
    def name(self) -> str:
        return self.connector.name

    def wake(self) -> None:
        self._wakeup.set()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._loop(), name=f"relais-worker-{self.name}-{i}")
            for i in range(self.batches_in_flight)
        ]

    async def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                claimed = await self.dispatch_once()
            except Exception:
                log.exception("dispatch through %s failed; retrying", self.name)
                claimed = 0
                await asyncio.sleep(self.idle_poll_s)
            if claimed < self.batch_size:
                self._wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.idle_poll_s)
                    await asyncio.sleep(self.linger_s)

    async def dispatch_once(self) -> int:
        """Claim one batch of due messages for this connector and submit it; how many."""
        now_ms = to_ms(self.platform.clock())
        batch = await delivery_reports.claim_due(
            self.platform,
            connector=self.name,
            now_ms=now_ms,
            limit=self.batch_size,
            lease_ms=self.lease_ms,
        )
        if not batch:
            return 0
        outcomes = await self.connector.submit(batch)
        done_ms = to_ms(self.platform.clock())
        await delivery_reports.record_submits(self.platform, outcomes, now_ms=done_ms)
        self.submitted += len(outcomes)
        self.on_recorded()
        return len(batch)
