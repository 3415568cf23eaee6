"""What the dispatcher needs from a connector: submit a batch, report receipts later."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from relais.store.outbound import OutboundMessage, Receipt, SubmitOutcome

ReceiptSink = Callable[[Sequence[Receipt]], None]


class Connector(Protocol):
    name: str

    async def start(self, receipts: ReceiptSink) -> None: ...

    async def submit(self, batch: Sequence[OutboundMessage]) -> list[SubmitOutcome]: ...

    async def stop(self) -> None: ...
