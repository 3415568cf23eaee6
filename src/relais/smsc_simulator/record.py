"""
What the simulator saw, kept in memory for tests and for the CLI's summary.

`accepted` holds one `AcceptedSubmit` per accepted submit_sm (a long message is one per
part). To keep the per-submit cost at one small object, an entry keeps the PDU and decodes
its fields only when asked; the parts of a long message are tied together here, so every part
of a message whose parts all came gives the whole text as `message_text`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from relais.smpp.pdu import DataSm, SubmitSm
from relais.smpp.segmentation import Fragment, decode_text, message_text

__all__ = ["AcceptedSubmit", "Counters", "Record"]


@dataclass(slots=True)
class AcceptedSubmit:
    """One submit_sm (or data_sm) the simulator accepted and gave `message_id`."""

    message_id: str
    system_id: str
    pdu: SubmitSm | DataSm
    fragment: Fragment | None  # which part of a long message, by UDH or SAR TLVs
    accepted_at: datetime  # by the simulator's clock
    whole_text: str | None = None  # every part's text, once all parts were accepted

    @property
    def source(self) -> str:
        return self.pdu.source_addr

    @property
    def destination(self) -> str:
        return self.pdu.destination_addr

    @property
    def data_coding(self) -> int:
        return self.pdu.data_coding

    @property
    def esm_class(self) -> int:
        return self.pdu.esm_class

    @property
    def registered_delivery(self) -> int:
        return self.pdu.registered_delivery

    @property
    def user_message_reference(self) -> int | None:
        return self.pdu.user_message_reference

    @property
    def text(self) -> str:
        """The text of this submit alone (one part of a long message)."""
        return message_text(self.pdu)

    @property
    def part(self) -> tuple[int, int] | None:
        """(part number, number of parts) of a long message; None for a whole SMS."""
        fragment = self.fragment
        return None if fragment is None else (fragment.seqnum, fragment.total)

    @property
    def message_text(self) -> str | None:
        """The whole message: this text, or all parts joined once the last one came."""
        return self.text if self.fragment is None else self.whole_text


@dataclass(slots=True)
class Counters:
    """Running totals; the field names are what the docs and the CLI summary show."""

    connections: int = 0
    binds: int = 0
    bind_failures: int = 0
    unbinds: int = 0
    disconnects: int = 0  # links the simulator cut on purpose (disconnect_after)
    submits: int = 0  # submit_sm and data_sm received, whatever became of them
    accepted: int = 0
    unanswered: int = 0  # left without a response (no_response, or cut by disconnect_after)
    throttled: int = 0
    errored: int = 0  # refused with submit_error
    duplicates: int = 0  # retries recognised by user_message_reference: same id, not counted
    receipts_scheduled: int = 0
    receipts_sent: int = 0  # deliver_sm written; a re-sent receipt counts again
    mo_sent: int = 0
    delivers_acked: int = 0  # deliver_sm_resp ESME_ROK
    delivers_refused: int = 0  # deliver_sm_resp with an error, or generic_nack
    generic_nacks: int = 0  # sent by us: unknown commands, unreadable PDUs


class Record:
    """The accepted submits, oldest first, and the long messages still missing parts."""

    def __init__(self, limit: int | None = None) -> None:
        self.accepted: deque[AcceptedSubmit] = deque(maxlen=limit)
        self._parts: dict[tuple[str, str, str, int, int], dict[int, AcceptedSubmit]] = {}

    def add(self, entry: AcceptedSubmit) -> None:
        self.accepted.append(entry)
        fragment = entry.fragment
        if fragment is not None:
            self._join(entry, fragment)

    def _join(self, entry: AcceptedSubmit, fragment: Fragment) -> None:
        key = (entry.system_id, entry.source, entry.destination, fragment.reference, fragment.total)
        parts = self._parts.setdefault(key, {})
        parts[fragment.seqnum] = entry  # a part sent twice replaces the first copy
        if len(parts) < fragment.total:
            return
        del self._parts[key]
        ordered = [parts[n] for n in range(1, fragment.total + 1)]
        data = b"".join(part.fragment.payload for part in ordered if part.fragment is not None)
        # Decoded as a whole: an escape or a surrogate pair may straddle two parts.
        text = decode_text(data, ordered[0].data_coding)
        for part in ordered:
            part.whole_text = text

    @property
    def incomplete(self) -> int:
        """Long messages of which some parts were accepted and others not yet."""
        return len(self._parts)

    def by_id(self, message_id: str) -> AcceptedSubmit | None:
        """The accepted submit given `message_id` (a linear search: for tests)."""
        for entry in self.accepted:
            if entry.message_id == message_id:
                return entry
        return None
