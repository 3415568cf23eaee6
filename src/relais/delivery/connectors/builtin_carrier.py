"""The built-in carrier: an in-process connector that needs no network. It accepts every
submit at once and, after a configurable delay, returns a delivery receipt whose final status
is drawn from a configurable mix, dated by the clock it is given (the platform's).

It is the embedded default so a fresh install delivers something; it is a feature for
users (try an integration without a carrier), not a test double. Operators know it as the
"simulator" connector kind; the SMPP carrier simulator (`relais smsc-simulator`,
`relais.smsc_simulator`) is a different thing, a real SMSC over TCP."""

from __future__ import annotations

import asyncio
import itertools
import random
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime

from relais.core.connector import (
    ConnectorStatus,
    DeliverySink,
    OutboundMessage,
    Receipt,
    SubmitOutcome,
)
from relais.core.instant import to_ms
from relais.core.status import MessageStatus


class BuiltinCarrier:
    """A `Connector` that delivers everything in-process; `clock` dates its receipts."""

    kind = "simulator"  # as stored in connector definitions and shown to operators

    def __init__(
        self,
        *,
        clock: Callable[[], datetime],
        name: str = "simulator",
        receipt_delay_ms: int = 200,
        outcomes: dict[str, float] | None = None,
        seed: int | None = None,
    ) -> None:
        self.name = name
        self._clock = clock
        self.receipt_delay = receipt_delay_ms / 1000
        mix = outcomes or {MessageStatus.DELIVERED.value: 1.0}
        self._statuses = [MessageStatus(s) for s in mix]
        self._weights = list(mix.values())
        self._random = random.Random(seed)
        # Carrier ids must not repeat across restarts: a random prefix per run, then a counter.
        self._prefix = secrets.token_hex(4)
        self._counter = itertools.count(1)
        self._sink: DeliverySink | None = None
        self._pending: dict[int, asyncio.TimerHandle] = {}
        self._timers = itertools.count()
        self.submitted = 0
        self.receipts_sent = 0

    async def start(self, sink: DeliverySink) -> None:
        self._sink = sink

    async def submit(self, batch: Sequence[OutboundMessage]) -> list[SubmitOutcome]:
        outcomes = []
        finals = self._random.choices(self._statuses, self._weights, k=len(batch))
        later: list[tuple[str, MessageStatus]] = []
        for message, final in zip(batch, finals, strict=True):
            ids = tuple(f"{self._prefix}{next(self._counter):012x}" for _ in range(message.parts))
            outcomes.append(
                SubmitOutcome(
                    message_id=message.id,
                    connector=self.name,
                    status=MessageStatus.SENT,
                    carrier_ids=ids,
                )
            )
            later.extend((carrier_id, final) for carrier_id in ids)
        self.submitted += len(batch)
        timer = next(self._timers)
        self._pending[timer] = asyncio.get_running_loop().call_later(
            self.receipt_delay, self._deliver, timer, later
        )
        return outcomes

    def _deliver(self, timer: int, later: list[tuple[str, MessageStatus]]) -> None:
        self._pending.pop(timer, None)
        if self._sink is None:
            return
        done_ms = to_ms(self._clock())
        self.receipts_sent += len(later)
        # In-process: nothing to acknowledge to a carrier, so the commit is not awaited.
        self._sink.receipts(
            [
                Receipt(
                    connector=self.name,
                    carrier_ids=(carrier_id,),
                    status=status,
                    done_at_ms=done_ms,
                    error=None if status is MessageStatus.DELIVERED else "simulated",
                )
                for carrier_id, status in later
            ]
        )

    async def stop(self) -> None:
        for handle in self._pending.values():
            handle.cancel()
        self._pending.clear()

    def status(self) -> ConnectorStatus:
        return ConnectorStatus(
            name=self.name,
            kind=self.kind,
            bound=self._sink is not None,
            submitted=self.submitted,
            receipts=self.receipts_sent,
            detail=f"built-in simulator, receipts after {self.receipt_delay * 1000:.0f} ms",
        )
