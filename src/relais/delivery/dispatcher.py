"""The delivery side of a process: which connectors it runs, feeding them, and storing what
comes back (receipts, inbound SMS), plus the sweeps that settle messages carriers forget.

Every few seconds the dispatcher reads the operator's connector definitions and takes (or
renews) a lease on each: a bind is run by exactly one process at a time, and a process only
claims the messages routed to connectors it holds. A changed definition restarts its
connector; a removed one stops it. The built-in carrier is always offered unless the
operator disabled it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import secrets
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import partial
from typing import Protocol

from relais.core.connector import Connector, ConnectorStatus, InboundSms, Receipt
from relais.core.errors import RelaisError
from relais.core.instant import to_ms
from relais.core.routing import DEFAULT_CONNECTOR
from relais.delivery.worker import ConnectorWorker
from relais.services import delivery_reports
from relais.services.platform import Platform
from relais.store import connectors as connector_store

log = logging.getLogger("relais.dispatcher")


class ConnectorFactory(Protocol):
    """Builds the connector a definition describes (`connectors.factory.build_connector`)."""

    def __call__(
        self, row: connector_store.ConnectorRow, *, clock: Callable[[], datetime]
    ) -> Connector: ...


@dataclass
class _Ack:
    """The commit a connector waits for before acknowledging a batch to its carrier."""

    remaining: int
    future: asyncio.Future[None]

    def one_done(self) -> None:
        self.remaining -= 1
        if self.remaining <= 0 and not self.future.done():
            self.future.set_result(None)


@dataclass
class _Running:
    worker: ConnectorWorker
    version: str  # the definition it was built from (kind and settings)


class Dispatcher:
    def __init__(
        self,
        platform: Platform,
        *,
        factory: ConnectorFactory,
        builtin: Connector | None = None,
        batch_size: int = 500,
        lease_ms: int = 60_000,
        bind_lease_ms: int = 15_000,
        reconcile_s: float = 2.0,
        sweep_s: float = 5.0,
        parked_s: float = 1.0,
        validity_ms: int = 48 * 3600 * 1000,
        part_grace_ms: int = 600_000,
        receipt_patience_ms: int = 1_000,
        linger_s: float = 0.05,
    ) -> None:
        self.platform = platform
        self.factory = factory
        self.builtin = builtin
        self.batch_size = batch_size
        self.lease_ms = lease_ms
        self.bind_lease_ms = bind_lease_ms
        self.reconcile_s = reconcile_s
        self.sweep_s = sweep_s
        self.parked_s = parked_s
        self.validity_ms = validity_ms
        self.part_grace_ms = part_grace_ms
        self.receipt_patience_ms = receipt_patience_ms
        self.linger_s = linger_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.running: dict[str, _Running] = {}
        self._last_counts: dict[str, tuple[int, int]] = {}
        self._receipts: list[tuple[int, Receipt, _Ack]] = []
        self._inbound: list[tuple[InboundSms, _Ack]] = []
        # Receipts that overtook the storing of their submit, waiting for it.
        self._early: list[tuple[int, Receipt, _Ack]] = []
        self._arrived = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self.receipts_applied = 0
        self.receipts_unmatched = 0
        self.inbound_stored = 0

    # --- DeliverySink: called by connectors, only buffers ---------------------------------

    def _ack(self, count: int) -> _Ack:
        ack = _Ack(count, asyncio.get_running_loop().create_future())
        if count == 0:
            ack.future.set_result(None)
        return ack

    def receipts(self, receipts: Sequence[Receipt]) -> asyncio.Future[None]:
        now_ms = to_ms(self.platform.clock())
        ack = self._ack(len(receipts))
        self._receipts.extend((now_ms, r, ack) for r in receipts)
        self._arrived.set()
        return ack.future

    def inbound(self, messages: Sequence[InboundSms]) -> asyncio.Future[None]:
        ack = self._ack(len(messages))
        self._inbound.extend((m, ack) for m in messages)
        self._arrived.set()
        return ack.future

    # --- life cycle ----------------------------------------------------------------------

    def wake(self) -> None:
        """Messages due now were stored."""
        for running in self.running.values():
            running.worker.wake()

    async def start(self) -> None:
        await self.reconcile()
        self._tasks = [
            asyncio.create_task(self._every(self.reconcile_s, self.reconcile), name="relais-bind"),
            asyncio.create_task(self._every(self.sweep_s, self.sweep), name="relais-sweep"),
            asyncio.create_task(
                self._every(self.parked_s, self.apply_parked_receipts), name="relais-parked"
            ),
            asyncio.create_task(self._store_loop(), name="relais-receipts"),
        ]

    async def stop(self) -> None:
        self._stopping = True
        self._arrived.set()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for name in list(self.running):
            await self._stop_connector(name)
        with contextlib.suppress(RelaisError):
            await self.store_arrivals()

    def statuses(self) -> list[ConnectorStatus]:
        return [running.worker.connector.status() for running in self.running.values()]

    async def _every(self, seconds: float, action: Callable[[], Awaitable[object]]) -> None:
        while not self._stopping:
            await asyncio.sleep(seconds)
            try:
                await action()
            except Exception:
                log.exception("%s failed; trying again", getattr(action, "__name__", action))

    # --- which connectors this process runs ------------------------------------------------

    async def reconcile(self) -> None:
        rows = {
            row.name: row
            for row in await self.platform.db.read(connector_store.list_connectors)
            if row.enabled
        }
        wanted: dict[str, str] = {
            name: json.dumps([row.kind, row.settings], sort_keys=True) for name, row in rows.items()
        }
        if self.builtin is not None and DEFAULT_CONNECTOR not in rows:
            wanted[DEFAULT_CONNECTOR] = "builtin"
        for name in [n for n in self.running if n not in wanted]:
            await self._stop_connector(name, release=True)
        now_ms = to_ms(self.platform.clock())
        # Take at most one new bind per round, in a random order: processes started together
        # then share the connectors instead of the first one taking them all.
        taken_new = False
        for name in random.sample(list(wanted), len(wanted)):
            version = wanted[name]
            if name not in self.running and taken_new:
                continue
            state = self._report(name, now_ms)
            try:
                held = await self.platform.db.write(
                    partial(
                        connector_store.acquire_lease,
                        connector=name,
                        owner=self.owner,
                        now_ms=now_ms,
                        ttl_ms=self.bind_lease_ms,
                        state=state,
                    ),
                    lane="delivery",
                )
            except RelaisError:
                held = False  # another process inserted the lease at the same moment
            running = self.running.get(name)
            if not held:
                if running is not None:
                    await self._stop_connector(name)
                continue
            if running is not None and running.version == version:
                continue
            if running is not None:
                await self._stop_connector(name)
            try:
                if name in rows:
                    connector = self.factory(rows[name], clock=self.platform.clock)
                elif self.builtin is not None:
                    connector = self.builtin
                else:
                    continue
                await connector.start(self)
            except (RelaisError, OSError) as exc:
                log.error("connector %s cannot start: %s", name, exc)
                continue
            worker = ConnectorWorker(
                self.platform,
                connector,
                batch_size=self.batch_size,
                lease_ms=self.lease_ms,
                linger_s=self.linger_s,
                on_recorded=self.submits_recorded,
            )
            worker.start()
            self.running[name] = _Running(worker, version)
            worker.wake()
            taken_new = True

    def _report(self, name: str, now_ms: int) -> str:
        """The connector's status as JSON, with its submit rate since the last report."""
        running = self.running.get(name)
        if running is None:
            return "{}"
        status = running.worker.connector.status()
        previous = self._last_counts.get(name)
        rate = 0.0
        if previous is not None and now_ms > previous[0]:
            rate = (status.submitted - previous[1]) * 1000 / (now_ms - previous[0])
        self._last_counts[name] = (now_ms, status.submitted)
        status.extra["sent_per_second"] = round(rate, 1)
        return json.dumps(asdict(status))

    async def _stop_connector(self, name: str, *, release: bool = False) -> None:
        running = self.running.pop(name, None)
        if running is not None:
            await running.worker.stop()
            await running.worker.connector.stop()
        if release:
            with contextlib.suppress(RelaisError):
                await self.platform.db.write(
                    lambda conn: connector_store.release_lease(
                        conn, connector=name, owner=self.owner
                    ),
                    lane="delivery",
                )

    # --- what comes back ---------------------------------------------------------------------

    async def _store_loop(self) -> None:
        while not self._stopping:
            await self._arrived.wait()
            self._arrived.clear()
            try:
                await self.store_arrivals()
            except Exception:
                log.exception("storing receipts failed; retrying")
                await asyncio.sleep(0.5)
                self._arrived.set()

    async def store_arrivals(self) -> None:
        """Store buffered receipts and inbound SMS. A receipt whose submit is not stored yet
        is offered again (its submit is usually in this process's next commit); after
        `receipt_patience_ms` it is parked in the database instead, so the carrier gets its
        answer and the receipt waits there for a submit a dead process never stored."""
        while self._receipts:
            batch, self._receipts = self._receipts[:2000], self._receipts[2000:]
            now_ms = to_ms(self.platform.clock())
            overdue = {r for arrived, r, _ in batch if now_ms - arrived >= self.receipt_patience_ms}
            try:
                moved, unmatched = await delivery_reports.apply_receipts(
                    self.platform,
                    [r for _, r, _ in batch],
                    park_if_unmatched=overdue,
                )
            except Exception:
                self._receipts = batch + self._receipts
                raise
            self.receipts_applied += moved
            waiting = {id(r) for r in unmatched}
            retry = []
            for arrived, receipt, ack in batch:
                if id(receipt) in waiting:
                    retry.append((arrived, receipt, ack))
                else:
                    ack.one_done()
            if retry:
                # Offered again as soon as a worker stores submits (the usual reason a
                # receipt is early), and at the latest after a short while.
                self._early.extend(retry)
                asyncio.get_running_loop().call_later(0.2, self.submits_recorded)
        while self._inbound:
            batch_in, self._inbound = self._inbound[:500], self._inbound[500:]
            try:
                await delivery_reports.record_inbound(
                    self.platform,
                    stop_keywords=self.platform.settings.stop_keywords,
                    messages=[
                        (m.connector, m.source, m.destination, m.text, m.received_at_ms)
                        for m, _ in batch_in
                    ],
                )
            except Exception:
                self._inbound = batch_in + self._inbound
                raise
            self.inbound_stored += len(batch_in)
            for _, ack in batch_in:
                ack.one_done()

    def submits_recorded(self) -> None:
        """A worker committed submit outcomes: early receipts may match now."""
        if self._early:
            self._receipts.extend(self._early)
            self._early = []
            self._arrived.set()

    async def apply_parked_receipts(self) -> None:
        """Apply parked receipts whose submit is stored now. Looked for every second (a read
        of a nearly always empty table) so that a process killed again and again still
        settles them between its restarts."""
        if not await delivery_reports.has_parked_receipts(self.platform):
            return
        parked = await delivery_reports.apply_parked_receipts(
            self.platform, now_ms=to_ms(self.platform.clock()), keep_ms=self.validity_ms
        )
        self.receipts_applied += parked.moved
        self.receipts_unmatched += parked.given_up

    async def sweep(self) -> None:
        """Settle multi-part messages whose carrier reported one part, and expire messages
        that never got a final receipt."""
        now_ms = to_ms(self.platform.clock())
        await delivery_reports.settle_overdue(
            self.platform,
            now_ms=now_ms,
            part_grace_ms=self.part_grace_ms,
            validity_ms=self.validity_ms,
        )
