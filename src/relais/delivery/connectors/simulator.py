"""The built-in carrier simulator: accepts every submit at once and, after a configurable
delay, returns a delivery receipt whose final status is drawn from a configurable mix.

It is the embedded default so a fresh install delivers something; it is a feature for
users (try an integration without a carrier), not a test double."""

from __future__ import annotations

import asyncio
import itertools
import random
import secrets
from collections.abc import Sequence

from relais.core.instant import to_ms
from relais.core.status import MessageStatus
from relais.delivery.connectors.base import ReceiptSink
from relais.services.platform import utc_now
from relais.store.outbound import OutboundMessage, Receipt, SubmitOutcome


class CarrierSimulator:
    def __init__(
        self,
        *,
        name: str = "simulator",
        receipt_delay_ms: int = 200,
        outcomes: dict[str, float] | None = None,
        seed: int | None = None,
    ) -> None:
        self.name = name
        self.receipt_delay = receipt_delay_ms / 1000
        mix = outcomes or {MessageStatus.DELIVERED.value: 1.0}
        self._statuses = [MessageStatus(s) for s in mix]
        self._weights = list(mix.values())
        self._random = random.Random(seed)
        # Carrier ids must not repeat across restarts: a random prefix per run, then a counter.
        self._prefix = secrets.token_hex(4)
        self._counter = itertools.count(1)
        self._sink: ReceiptSink | None = None
        self._pending: set[asyncio.TimerHandle] = set()
        self.submitted = 0

    async def start(self, receipts: ReceiptSink) -> None:
        self._sink = receipts

    async def submit(self, batch: Sequence[OutboundMessage]) -> list[SubmitOutcome]:
        outcomes = []
        finals = self._random.choices(self._statuses, self._weights, k=len(batch))
        later: list[tuple[str, MessageStatus]] = []
        for message, final in zip(batch, finals, strict=True):
            carrier_id = f"{self._prefix}{next(self._counter):012x}"
            outcomes.append(
                SubmitOutcome(
                    message_id=message.id,
                    connector=self.name,
                    status=MessageStatus.SENT,
                    carrier_id=carrier_id,
                )
            )
            later.append((carrier_id, final))
        self.submitted += len(batch)
        loop = asyncio.get_running_loop()
        handle = loop.call_later(self.receipt_delay, self._deliver, later)
        self._pending.add(handle)
        return outcomes

    def _deliver(self, later: list[tuple[str, MessageStatus]]) -> None:
        self._pending = {h for h in self._pending if not h.cancelled() and h.when() > 0}
        if self._sink is None:
            return
        done_ms = to_ms(utc_now())
        self._sink(
            [
                Receipt(
                    connector=self.name, carrier_id=carrier_id, status=status, done_at_ms=done_ms
                )
                for carrier_id, status in later
            ]
        )

    async def stop(self) -> None:
        for handle in self._pending:
            handle.cancel()
        self._pending.clear()
