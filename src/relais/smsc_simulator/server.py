"""
`SmscSimulator`: a real SMPP 3.4 server on TCP that behaves like the carrier its
`SimulatorConfig` describes, and records what it saw.

    simulator = SmscSimulator(SimulatorConfig(throttle_per_second=50))
    await simulator.start()                     # 127.0.0.1, a free port
    ... connect an ESME to simulator.port ...
    await simulator.wait_for(lambda: simulator.counters.receipts_sent == 10)
    await simulator.stop()

Sessions (`session.py`) answer what they read; this class holds what is shared between them:
the accounts bound and their receivers, the rules, the ids, and the deliveries. Receipts wait
in one heap under one loop timer (not a timer each: 10,000 a second must stay cheap), then go
to a receiver or transceiver bound with the system_id that submitted the message. With none
bound they wait in a queue until one binds, as a real SMSC stores them.

Two clocks: `clock` (wall time, given or the system's) dates submits and receipts;
`loop_time` (the event loop's monotonic time) schedules receipts and paces throttling.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import random
from collections import Counter, deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from math import inf
from typing import Any, Literal

from relais.smpp import BindReceiver, BindTransceiver, BindTransmitter, CommandStatus, DeliverSm
from relais.smsc_simulator.config import SimulatorConfig
from relais.smsc_simulator.deliveries import (
    Delivery,
    MoDelivery,
    ReceiptDelivery,
    StatPicker,
    receipt_wanted,
)
from relais.smsc_simulator.ids import MessageIds, receipt_id
from relais.smsc_simulator.mo import mo_pdus
from relais.smsc_simulator.policy import Deduplicator, SubmitRules
from relais.smsc_simulator.record import AcceptedSubmit, Counters, Record
from relais.smsc_simulator.session import Session

__all__ = ["SmscSimulator"]

log = logging.getLogger(__name__)

_SLACK = 0.001  # fire receipts due within a millisecond together


class SmscSimulator:
    """A fault-injecting SMSC: `start()`, point an ESME at `port`, inspect, `stop()`."""

    def __init__(
        self,
        config: SimulatorConfig | None = None,
        /,
        *,
        clock: Callable[[], datetime] | None = None,
        **options: Any,
    ) -> None:
        """Either a `SimulatorConfig` or its fields as keywords (`black_hole=True`); `clock`
        (an aware datetime; the system's by default) dates submits and receipts."""
        if config is None:
            config = SimulatorConfig(**options)
        elif options:
            raise TypeError("give a SimulatorConfig or its fields, not both")
        self.config = config
        self.counters = Counters()
        self.record = Record(config.history_limit)
        self.rules = SubmitRules(config)
        self.dedupe = Deduplicator(config.dedupe_window_s)
        rng = random.Random(config.seed)
        self._rng = rng
        self.ids = MessageIds(config.id_format, rng)
        self._stats = StatPicker(config.stat_mix, rng)
        self._delay = config.delay_range_s
        self._sessions: set[Session] = set()
        self._bound: Counter[str] = Counter()
        self._receivers: dict[str, list[Session]] = {}
        self._queued: dict[str | None, deque[Delivery]] = {}
        self._heap: list[tuple[float, int, str | None, Delivery]] = []
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = inf
        self._turn = 0
        self._mo_reference = rng.randrange(1 << 16)
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self.host = "127.0.0.1"
        self.clock: Callable[[], datetime] = clock or _utc_now
        self.loop_time: Callable[[], float] = _unstarted

    # ----------------------------------------------------------------------- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host`:`port` (0: a free port, read it from `port` afterwards)."""
        if self._server is not None:
            raise RuntimeError("the simulator is already started")
        self._loop = loop = asyncio.get_running_loop()
        self.loop_time = loop.time
        self._stopping = False
        self._server = await asyncio.start_server(self._serve, host, port, backlog=256)
        self.host = host

    @property
    def port(self) -> int:
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the simulator is not listening; call start() first")
        return int(self._server.sockets[0].getsockname()[1])

    async def stop(self, timeout_s: float = 2.0) -> None:
        """Stop listening, unbind every bound session (waiting up to `timeout_s` for each
        unbind_resp), close all connections and drop the receipts not yet due."""
        self._stopping = True
        server, self._server = self._server, None
        if server is not None:
            server.close()
        sessions = list(self._sessions)
        await asyncio.gather(*(session.shutdown(timeout_s) for session in sessions))
        tasks = [s.task for s in sessions if s.task is not None and not s.task.done()]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=timeout_s)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)
        if server is not None:
            await server.wait_closed()
        if self._timer is not None:
            self._timer.cancel()
            self._timer, self._timer_at = None, inf
        self._heap.clear()

    async def __aenter__(self) -> SmscSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._stopping:
            writer.close()
            return
        session = Session(self, reader, writer)
        self._sessions.add(session)
        self.counters.connections += 1
        try:
            await session.run()
        finally:
            self._sessions.discard(session)

    # -------------------------------------------------------------------- for inspection

    @property
    def accepted(self) -> deque[AcceptedSubmit]:
        """Accepted submits, oldest first (one per part of a long message)."""
        return self.record.accepted

    @property
    def sessions(self) -> list[Session]:
        return list(self._sessions)

    @property
    def queued(self) -> int:
        """Deliveries (receipts, MO) waiting for a receiver to bind."""
        return sum(len(queue) for queue in self._queued.values())

    @property
    def scheduled(self) -> int:
        """Receipts whose delay has not run out yet."""
        return len(self._heap)

    async def wait_for(self, predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
        """Return once `predicate()` is true; TimeoutError after `timeout_s` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not predicate():
            if loop.time() >= deadline:
                raise TimeoutError(f"condition not met within {timeout_s} s; {self.counters}")
            await asyncio.sleep(0.005)

    # ------------------------------------------------------------------ binds (sessions)

    def bind_status(self, pdu: BindTransmitter | BindReceiver | BindTransceiver) -> int:
        """ESME_ROK, or why this bind is refused."""
        config = self.config
        if config.system_id is not None and pdu.system_id != config.system_id:
            return CommandStatus.ESME_RBINDFAIL
        if config.password is not None and pdu.password != config.password:
            return CommandStatus.ESME_RINVPASWD
        if config.max_binds is not None and self._bound[pdu.system_id] >= config.max_binds:
            return config.max_binds_status
        return CommandStatus.ESME_ROK

    def attach(self, session: Session) -> None:
        """A session bound: count it, and hand a receiver what waited for one."""
        system_id = session.system_id or ""
        session.attached = True
        self._bound[system_id] += 1
        if not session.receives:
            return
        self._receivers.setdefault(system_id, []).append(session)
        waiting = [*self._queued.pop(system_id, ()), *self._queued.pop(None, ())]
        if waiting:
            session.push(waiting)

    def detach(self, session: Session) -> None:
        """A session unbound or closed: what it did not deliver goes to another receiver."""
        if not session.attached:
            return
        session.attached = False
        system_id = session.system_id or ""
        self._bound[system_id] -= 1
        if not session.receives:
            return
        receivers = self._receivers.get(system_id, [])
        if session in receivers:
            receivers.remove(session)
        undelivered = session.take_undelivered()
        if undelivered:
            self.deliver(system_id, undelivered)

    # -------------------------------------------------------------------------- receipts

    def receipt_for(self, entry: AcceptedSubmit, now: float) -> None:
        """Plan the receipt of an accepted submit, if it asked for one and gets one."""
        config = self.config
        if config.black_hole or not entry.pdu.registered_delivery & 0x03:
            return
        stat = self._stats.pick()
        if not receipt_wanted(entry, stat, config.receipt_parts):
            return
        quoted = receipt_id(entry.message_id, config.id_format, config.receipt_id_format)
        delivery = ReceiptDelivery(entry, stat, quoted, tlvs=config.receipt_tlvs, clock=self.clock)
        self.counters.receipts_scheduled += 1
        if config.receipt_before_response:
            self.deliver(entry.system_id, [delivery])
            return
        low, high = self._delay
        delay = low if low == high else self._rng.uniform(low, high)
        self._schedule(now + delay, entry.system_id, delivery)

    def retry_later(self, system_id: str | None, delivery: Delivery) -> None:
        """A receiver refused a deliver_sm with a temporary error: send it again later."""
        self._schedule(self.loop_time() + self.config.deliver_retry_s, system_id, delivery)

    def _schedule(self, due: float, system_id: str | None, delivery: Delivery) -> None:
        heapq.heappush(self._heap, (due, next(self._order), system_id, delivery))
        if due < self._timer_at and self._loop is not None:
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(due, self._fire)
            self._timer_at = due

    def _fire(self) -> None:
        self._timer, self._timer_at = None, inf
        heap = self._heap
        limit = self.loop_time() + _SLACK
        batches: dict[str | None, list[Delivery]] = {}
        while heap and heap[0][0] <= limit:
            _, _, system_id, delivery = heapq.heappop(heap)
            batches.setdefault(system_id, []).append(delivery)
        try:
            for system_id, deliveries in batches.items():
                self.deliver(system_id, deliveries)
        finally:  # whatever failed, the receipts still due keep their timer
            if heap and self._loop is not None and not self._stopping:
                self._timer_at = heap[0][0]
                self._timer = self._loop.call_at(self._timer_at, self._fire)

    def deliver(self, system_id: str | None, deliveries: Sequence[Delivery]) -> None:
        """Send now to a receiver of `system_id` (None: any receiver), or keep for later."""
        if system_id is None:
            receivers = [s for group in self._receivers.values() for s in group]
        else:
            receivers = self._receivers.get(system_id, [])
        if receivers and not self._stopping:
            self._turn += 1
            receivers[self._turn % len(receivers)].push(deliveries)
        else:
            self._queued.setdefault(system_id, deque()).extend(deliveries)

    # ------------------------------------------------------------------------ inbound SMS

    async def inject_mo(
        self,
        *,
        source: str,
        destination: str,
        text: str,
        parts: int | None = None,
        shuffle: bool = False,
        method: Literal["udh", "sar"] = "udh",
        system_id: str | None = None,
    ) -> list[DeliverSm]:
        """Send an SMS from handset `source` to `destination` (one of the client's numbers).

        It goes to a receiver or transceiver bound as `system_id` (default: the configured
        one, else any), or waits for one to bind. A long text, or any text when `parts` is
        given, goes as concatenated parts, out of order with `shuffle`. Returns the
        deliver_sm PDUs in the order they are sent (their sequence_number is given on the
        way out).

        Raises:
            ValueError: `parts` cannot hold the text, or `method` is unknown.
        """
        self._mo_reference = (self._mo_reference + 1) & 0xFFFF
        pdus = mo_pdus(
            source=source,
            destination=destination,
            text=text,
            parts=parts,
            shuffle=shuffle,
            method=method,
            reference=self._mo_reference,
            rng=self._rng,
        )
        target = system_id if system_id is not None else self.config.system_id
        self.deliver(target, [MoDelivery(pdu) for pdu in pdus])
        return pdus

    async def inject_stop(
        self, source: str, destination: str, keyword: str = "STOP", *, system_id: str | None = None
    ) -> list[DeliverSm]:
        """A handset answers STOP (or `keyword`): the opt-out Relais must record."""
        return await self.inject_mo(
            source=source, destination=destination, text=keyword, system_id=system_id
        )


def _unstarted() -> float:
    raise RuntimeError("the simulator is not started")


def _utc_now() -> datetime:
    return datetime.now(UTC)
