"""The connector contract: what the dispatcher hands a connector and what it hands back.

Pure types, so delivery, the store and the services share them without depending on each other.

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

from relais.core.status import MessageStatus

__all__ = [
    "Connector",
    "ConnectorStatus",
    "DeliveryMonitor",
    "DeliverySink",
    "InboundSms",
    "OutboundMessage",
    "Receipt",
    "SubmitOutcome",
    "WebhookMonitor",
]


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    id: int
    campaign_id: int
    account_id: int
    destination: str
    text: str
    sender: str | None
    encoding: str
    parts: int
    gsmsmsid: str | None
    attempts: int


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    """What a connector answers for one message.

    `status` is SENT when the carrier accepted every part, QUEUED when the failure is
    temporary (the message goes back to the queue, due again after `retry_after_ms`), or a
    final failure (REJECTED, INVALID_DESTINATION, ROUTE_NOT_AVAILABLE, ...) with `error`
    naming the cause (e.g. "ESME_RINVDSTADR (0x0000000B)"). `carrier_ids` holds the id the
    carrier gave each part, in part order, lower-cased and without leading zeros."""

    message_id: int
    connector: str
    status: MessageStatus
    carrier_ids: tuple[str, ...] = ()
    error: str | None = None
    retry_after_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt for one submitted part.

    `carrier_ids` lists the forms the id may have been stored under: first the id exactly as
    the receipt wrote it (lower-cased, no leading zeros), then its other forms (a carrier may
    answer submit_sm in decimal and write receipts in hex, or the reverse)."""

    connector: str
    carrier_ids: tuple[str, ...]
    status: MessageStatus
    done_at_ms: int
    error: str | None = None


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


class WebhookMonitor(Protocol):
    """What the operator's metrics read of a process's webhook sender."""

    delivered: int
    failed_attempts: int
    pending: int
    oldest_pending_age_s: float

    def wake(self) -> None: ...


class DeliveryMonitor(Protocol):
    """What the operator's metrics read of a process's running dispatcher."""

    receipts_applied: int
    receipts_unmatched: int
    inbound_stored: int

    def statuses(self) -> list[ConnectorStatus]: ...
