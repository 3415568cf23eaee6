"""
The deliver window of one receiver session: at most `size` deliver_sm await their
deliver_sm_resp, the rest wait in order.

What is still queued or unacknowledged when the session ends is taken back (`take_all`) and
goes to the next receiver that binds, as a carrier stores and forwards.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable

from relais.smpp import LocalProtocolError, SmppConnection
from relais.smsc_simulator.deliveries import Delivery
from relais.smsc_simulator.record import Counters

__all__ = ["DeliverWindow"]

log = logging.getLogger(__name__)


class DeliverWindow:
    """Receipts and MO on their way to one receiver, in the order they came."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._queue: deque[Delivery] = deque()
        self._inflight: dict[int, Delivery] = {}

    @property
    def waiting(self) -> bool:
        """Whether deliveries wait for room in the window."""
        return bool(self._queue)

    def add(self, deliveries: Iterable[Delivery]) -> None:
        self._queue.extend(deliveries)

    def fill(self, conn: SmppConnection, out: list[bytes], counters: Counters) -> None:
        """Encode as many waiting deliveries as the window has room for, into `out`."""
        queue, inflight, size = self._queue, self._inflight, self.size
        while queue and len(inflight) < size:
            delivery = queue.popleft()
            sequence = conn.next_sequence_number()
            try:
                data = conn.send(delivery.pdu(sequence))
            except LocalProtocolError as exc:  # e.g. a data_sm source too long for deliver_sm
                log.warning("dropping a deliver_sm that cannot be encoded: %s", exc)
                continue
            inflight[sequence] = delivery
            out.append(data)
            if delivery.is_receipt:
                counters.receipts_sent += 1
            else:
                counters.mo_sent += 1

    def answered(self, sequence: int) -> Delivery | None:
        """The delivery `sequence` answers (deliver_sm_resp or generic_nack), now out of the
        window; None when no deliver_sm awaits that answer."""
        return self._inflight.pop(sequence, None)

    def take_all(self) -> list[Delivery]:
        """Everything queued or unacknowledged, oldest first; the window is left empty."""
        undelivered = [*self._inflight.values(), *self._queue]
        self._inflight.clear()
        self._queue.clear()
        return undelivered
