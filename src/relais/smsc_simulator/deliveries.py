"""
What the simulator sends the ESME: delivery receipts and mobile-originated (MO) messages,
both as deliver_sm.

A `Delivery` is built into its deliver_sm only when a session is about to write it, with the
sequence_number that session gives it: a receipt's done date is then the moment it really
leaves, and a delivery that waited for a receiver to bind, or comes back from a session that
closed before acknowledging it, costs nothing to re-send.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import random
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final, Protocol

from relais.smpp.constants import EsmClass, MessageState, RegisteredDelivery
from relais.smpp.pdu import DeliverSm
from relais.smpp.receipts import format_receipt
from relais.smpp.tlv import NO_TLVS, make_tlvs
from relais.smsc_simulator.record import AcceptedSubmit

__all__ = ["Delivery", "MoDelivery", "ReceiptDelivery", "StatPicker", "receipt_wanted"]

STATE_BY_STAT: Final = {
    "DELIVRD": MessageState.DELIVERED,
    "UNDELIV": MessageState.UNDELIVERABLE,
    "EXPIRED": MessageState.EXPIRED,
    "REJECTD": MessageState.REJECTED,
    "DELETED": MessageState.DELETED,
    "UNKNOWN": MessageState.UNKNOWN,
    "ACCEPTD": MessageState.ACCEPTED,
    "ENROUTE": MessageState.ENROUTE,
}
# The err field: 000 when nothing went wrong, a generic network error code otherwise.
_ERR_BY_STAT: Final = {"DELIVRD": 0, "ACCEPTD": 0, "ENROUTE": 0}
_FAILURE_ONLY: Final = RegisteredDelivery.FAILURE


class Delivery(Protocol):
    """Something a session writes as one deliver_sm."""

    is_receipt: bool

    def pdu(self, sequence_number: int) -> DeliverSm: ...


class StatPicker:
    """Draws receipt stats from the configured mix (weights need not sum to 1)."""

    def __init__(self, mix: Mapping[str, float], rng: random.Random) -> None:
        self._stats = [stat for stat, weight in mix.items() if weight > 0]
        self._bounds = list(itertools.accumulate(mix[stat] for stat in self._stats))
        self._total = self._bounds[-1]
        self._random = rng.random

    def pick(self) -> str:
        if len(self._stats) == 1:
            return self._stats[0]
        index = bisect.bisect_right(self._bounds, self._random() * self._total)
        return self._stats[min(index, len(self._stats) - 1)]


def receipt_wanted(entry: AcceptedSubmit, stat: str, parts: str) -> bool:
    """Whether the submit asked for a receipt with this stat and its part gets one.

    registered_delivery 1 (or the reserved 3) asks for every final receipt, 2 for failures
    only. Of a long message, `parts` keeps every part's receipt, only the first's or only the
    last's, as carriers differ on exactly this.
    """
    asked = entry.pdu.registered_delivery & 0x03
    if not asked or (asked == _FAILURE_ONLY and stat == "DELIVRD"):
        return False
    fragment = entry.fragment
    if fragment is None or parts == "all":
        return True
    if parts == "first":
        return fragment.seqnum == 1
    return fragment.seqnum == fragment.total


class ReceiptDelivery:
    """The receipt of one accepted submit, written when it leaves: `clock` gives its done
    date."""

    __slots__ = ("clock", "entry", "receipt_id", "stat", "tlvs")
    is_receipt = True

    def __init__(
        self,
        entry: AcceptedSubmit,
        stat: str,
        receipt_id: str,
        *,
        tlvs: bool,
        clock: Callable[[], datetime],
    ) -> None:
        self.entry = entry
        self.stat = stat
        self.receipt_id = receipt_id
        self.tlvs = tlvs
        self.clock = clock

    def pdu(self, sequence_number: int) -> DeliverSm:
        entry, stat = self.entry, self.stat
        submit = entry.pdu
        text = format_receipt(
            message_id=self.receipt_id,
            stat=stat,
            submit_date=entry.accepted_at,
            done_date=self.clock(),
            err=_ERR_BY_STAT.get(stat, 1),
            text=entry.text[:20],
        )
        tlvs = (
            make_tlvs(receipted_message_id=self.receipt_id, message_state=STATE_BY_STAT[stat])
            if self.tlvs
            else NO_TLVS
        )
        # The receipt travels back: from the handset the message went to, to its sender.
        return DeliverSm(
            sequence_number=sequence_number,
            source_addr_ton=submit.dest_addr_ton,
            source_addr_npi=submit.dest_addr_npi,
            source_addr=submit.destination_addr,
            dest_addr_ton=submit.source_addr_ton,
            dest_addr_npi=submit.source_addr_npi,
            destination_addr=submit.source_addr,
            esm_class=EsmClass.DELIVERY_RECEIPT,
            short_message=text.encode("ascii", "replace"),
            tlvs=tlvs,
        )


class MoDelivery:
    """One deliver_sm of an inbound SMS (a whole message or one of its parts)."""

    __slots__ = ("template",)
    is_receipt = False

    def __init__(self, template: DeliverSm) -> None:
        self.template = template

    def pdu(self, sequence_number: int) -> DeliverSm:
        return dataclasses.replace(self.template, sequence_number=sequence_number)
