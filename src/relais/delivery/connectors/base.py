"""What the dispatcher needs from a connector, and what a connector hands back.

A connector submits batches of messages and reports, later and on its own schedule,
delivery receipts and inbound SMS through the `DeliverySink` it was started with. The sink's
methods only buffer (they never block the connector's read loop) and return an awaitable
that completes once what they were given is committed: a connector acknowledges a carrier's
deliver_sm only then, so a crash between the two makes the carrier deliver it again instead
of losing it."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from relais.store.outbound import OutboundMessage, Receipt, SubmitOutcome

__all__ = [
    "Connector",
    "ConnectorStatus",
    "DeliverySink",
    "InboundSms",
    "OutboundMessage",
    "Receipt",
    "SubmitOutcome",
]


@dataclass(frozen=True, slots=True)
class InboundSms:
    """A mobile-originated SMS, reassembled if it came in several parts."""

    connector: str
    source: str  # international digits, no "+", or the alphanumeric source as received
    destination: str
    text: str
    received_at_ms: int


class DeliverySink(Protocol):
    def receipts(self, receipts: Sequence[Receipt]) -> Awaitable[None]: ...

    def inbound(self, messages: Sequence[InboundSms]) -> Awaitable[None]: ...


@dataclass(slots=True)
class ConnectorStatus:
    """What an operator sees of a connector (CLI and Prometheus)."""

    name: str
    kind: str
    bound: bool
    in_flight: int = 0
    submitted: int = 0
    receipts: int = 0
    inbound: int = 0
    errors: int = 0
    detail: str = ""
    extra: dict[str, float] = field(default_factory=dict)


class Connector(Protocol):
    name: str

    async def start(self, sink: DeliverySink) -> None: ...

    async def submit(self, batch: Sequence[OutboundMessage]) -> list[SubmitOutcome]: ...

    async def stop(self) -> None: ...

    def status(self) -> ConnectorStatus: ...
