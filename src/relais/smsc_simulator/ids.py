"""
Message ids as carriers hand them out, and as their receipts quote them back.

Ids are numbers counted up from a random start, so they never repeat across restarts of the
simulator (a client that remembers ids from a previous run must not match a new receipt to an
old message) and so one id can be written in either base: `receipt_id_format` makes a receipt
quote in hex an id the submit_sm_resp gave in decimal, or the reverse, which is what Kannel's
msg-id-type setting exists for. UUIDs are Jasmin's format.
"""

from __future__ import annotations

import random
import uuid
from typing import Final

from relais.smsc_simulator.config import IdFormat, ReceiptIdFormat

__all__ = ["MessageIds", "receipt_id"]

# 2**40 .. 2**44: 11 hex digits, 13 to 14 decimal ones, far below the 64 characters allowed.
_START_LOW: Final = 1 << 40
_START_HIGH: Final = 1 << 44


class MessageIds:
    """A source of fresh message ids in one format."""

    def __init__(self, id_format: IdFormat, rng: random.Random) -> None:
        self.id_format = id_format
        self._rng = rng
        self._next = rng.randrange(_START_LOW, _START_HIGH)

    def new(self) -> str:
        """The next id; never one given before by this source."""
        number = self._next
        self._next = number + 1
        if self.id_format == "hex":
            return format(number, "x")
        if self.id_format == "decimal":
            return str(number)
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))


def receipt_id(message_id: str, id_format: IdFormat, receipt_format: ReceiptIdFormat) -> str:
    """How a receipt writes `message_id`: as given, or the same number in hex or decimal.

    A UUID converts through its 128-bit value: its 32 hex digits, or up to 39 decimal ones.
    """
    if receipt_format == "same" or receipt_format == id_format:
        return message_id
    if id_format == "uuid":
        value = uuid.UUID(message_id)
        return value.hex if receipt_format == "hex" else str(value.int)
    number = int(message_id, 16 if id_format == "hex" else 10)
    return format(number, "x") if receipt_format == "hex" else str(number)
