"""
What comes back from the carrier: deliver_sm turned into receipts and inbound SMS.

Apart from the submit path because it runs at the sink's pace: buffered, handed over in
batches, and each deliver_sm answered only once what it carried is committed. Receipts and
inbound SMS are dated by the clock the inbox is given (the platform's); the monotonic clock
only times the reassembly of long inbound messages.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Final

from relais.core.connector import DeliverySink, InboundSms, Receipt
from relais.core.instant import to_ms
from relais.core.status import MessageStatus
from relais.smpp import (
    DataSm,
    DeliverSm,
    DeliveryReceipt,
    Reassembler,
    fragment_of,
    message_text,
    receipt_from_pdu,
)
from relais.smpp.receipts import canonical_message_id, is_receipt, parse_receipt

__all__ = ["DeliveryInbox"]

log = logging.getLogger("relais.smpp")

FLUSH_INTERVAL_S: Final = 0.005  # receipts and inbound SMS wait at most this for company
FLUSH_SIZE: Final = 1000  # ... or until this many are buffered


class DeliveryInbox:
    """The receipts and inbound SMS of one connector, on their way to its sink.

    `on_deliver` is the sessions' deliver_sm callback. `on_error(reason)` counts an error
    against the connector; `reason`, when not None, becomes its last error. `clock` dates
    what comes in; `monotonic` times the reassembly of long inbound messages.
    """

    def __init__(
        self,
        name: str,
        *,
        inbound_expiry_s: float,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float],
        on_error: Callable[[str | None], None],
    ) -> None:
        self.name = name
        self.inbound_expiry_s = inbound_expiry_s
        self._clock = clock
        self._now = monotonic
        self._on_error = on_error
        self._sink: DeliverySink | None = None
        self._reassembler = Reassembler()
        self._receipts: list[Receipt] = []
        self._inbound: list[InboundSms] = []
        self._flush_handle: asyncio.TimerHandle | None = None
        # Completed when the next flush's receipts and inbound SMS are committed.
        self._stored: asyncio.Future[None] | None = None
        self._settling: set[asyncio.Future[None]] = set()
        self._expire_handle: asyncio.TimerHandle | None = None
        self.receipts = self.inbound = 0

    @property
    def reassembling(self) -> int:
        """Inbound messages with parts still missing."""
        return len(self._reassembler)

    def start(self, sink: DeliverySink) -> None:
        """Hand what comes to `sink` from now on; start expiring incomplete messages."""
        self._sink = sink
        loop = asyncio.get_running_loop()
        self._expire_handle = loop.call_later(self._expire_every(), self._expire_inbound)

    def close(self) -> None:
        """Stop the timers and hand over what is buffered."""
        for handle in (self._flush_handle, self._expire_handle):
            if handle is not None:
                handle.cancel()
        self._flush_handle = self._expire_handle = None
        self._flush()

    # --------------------------------------------------------------------------- deliver_sm

    def on_deliver(self, pdu: DeliverSm | DataSm) -> asyncio.Future[None] | None:
        """Buffer what the deliver_sm carries; the future of its commit, or None when nothing
        needs storing (the session then answers at once)."""
        if (receipt := receipt_from_pdu(pdu)) is not None:
            return self._on_receipt(receipt)
        if is_receipt(pdu):
            self._on_error(f"unreadable delivery receipt: {pdu.user_data[:80]!r}")
            return None
        if (receipt := _unflagged_receipt(pdu)) is not None:
            return self._on_receipt(receipt)
        return self._on_inbound(pdu)

    def _next_flush(self) -> asyncio.Future[None]:
        if self._stored is None:
            self._stored = asyncio.get_running_loop().create_future()
        return self._stored

    def _on_receipt(self, receipt: DeliveryReceipt) -> asyncio.Future[None] | None:
        status = receipt.status
        raw = receipt.receipted_message_id or receipt.id
        if status is None or not receipt.is_final or not raw:
            return None  # ACCEPTD / ENROUTE, or a state nobody documents
        exact = canonical_message_id(raw)
        others = sorted(receipt.match_ids() - {exact})
        error = None
        if status is not MessageStatus.DELIVERED:
            error = f"err:{receipt.err}" if receipt.err else f"stat:{receipt.stat}"
        self.receipts += 1
        done_ms = to_ms(self._clock())
        self._receipts.append(Receipt(self.name, (exact, *others), status, done_ms, error))
        stored = self._next_flush()
        self._schedule_flush(len(self._receipts))
        return stored

    def _on_inbound(self, pdu: DeliverSm | DataSm) -> asyncio.Future[None] | None:
        source = _plain(pdu.source_addr)
        destination = _plain(pdu.destination_addr)
        fragment = fragment_of(pdu)
        text = (
            message_text(pdu)
            if fragment is None
            else self._reassembler.add(
                source=f"{source}\0{destination}",
                fragment=fragment,
                data_coding=pdu.data_coding,
                now=self._now(),
            )
        )
        if text is None:
            return None  # a part kept for reassembly; answered at once
        return self._accept_inbound(source, destination, text)

    def _accept_inbound(self, source: str, destination: str, text: str) -> asyncio.Future[None]:
        self.inbound += 1
        self._inbound.append(InboundSms(self.name, source, destination, text, to_ms(self._clock())))
        stored = self._next_flush()
        self._schedule_flush(len(self._inbound))
        return stored

    def _expire_inbound(self) -> None:
        """Deliver what came of messages whose other parts never did: better a partial
        text than none."""
        cutoff = self._now() - self.inbound_expiry_s
        for key, _, text in self._reassembler.expire(older_than=cutoff):
            source, _, destination = key.partition("\0")
            self._accept_inbound(source, destination, text)
        loop = asyncio.get_running_loop()
        self._expire_handle = loop.call_later(self._expire_every(), self._expire_inbound)

    def _expire_every(self) -> float:
        return min(30.0, self.inbound_expiry_s / 4)

    # -------------------------------------------------------------------------------- sink

    def _schedule_flush(self, buffered: int) -> None:
        if buffered >= FLUSH_SIZE:
            self._flush()
        elif self._flush_handle is None:
            loop = asyncio.get_running_loop()
            self._flush_handle = loop.call_later(FLUSH_INTERVAL_S, self._flush)

    def _flush(self) -> None:
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        receipts, self._receipts = self._receipts, []
        inbound, self._inbound = self._inbound, []
        stored, self._stored = self._stored, None
        if self._sink is None:
            if stored is not None and not stored.done():
                stored.set_exception(ConnectionError("no sink"))
            return
        try:
            commits = []
            if receipts:
                commits.append(self._sink.receipts(receipts))
            if inbound:
                commits.append(self._sink.inbound(inbound))
        except Exception as exc:
            log.exception("%s: the delivery sink failed", self.name)
            self._on_error(None)
            if stored is not None and not stored.done():
                stored.set_exception(exc)
            return
        if stored is not None:
            task = asyncio.ensure_future(_settle_after(commits, stored))
            self._settling.add(task)
            task.add_done_callback(self._settling.discard)


def _unflagged_receipt(pdu: DeliverSm | DataSm) -> DeliveryReceipt | None:
    """A receipt some SMSCs send with esm_class 0: the full Appendix B text (id, stat and a
    done date), which no person types into an SMS."""
    if fragment_of(pdu) is not None:
        return None
    parsed = parse_receipt(message_text(pdu))
    if parsed is None or not (parsed.id and parsed.stat and parsed.done_date):
        return None
    return parsed


def _plain(address: str) -> str:
    """An international number without its "+"; anything else as received."""
    return address[1:] if address.startswith("+") and address[1:].isdigit() else address


async def _settle_after(commits: list[Awaitable[None]], stored: asyncio.Future[None]) -> None:
    """Complete `stored` once every commit did (or fail it with the first error)."""
    try:
        await asyncio.gather(*commits)
    except Exception as exc:
        if not stored.done():
            stored.set_exception(exc)
        return
    if not stored.done():
        stored.set_result(None)
