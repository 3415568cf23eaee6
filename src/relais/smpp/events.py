"""
What `SmppConnection.next_event()` and `PduReader.next_pdu()` return besides PDUs.

Per h11, "nothing yet" is a sentinel and not an exception, because it is the common case on
every read; `NEED_DATA` is an enum singleton so type checkers narrow `x is NEED_DATA`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

from relais.smpp.pdu import Pdu
from relais.smpp.state import State

__all__ = ["NEED_DATA", "ConnectionClosed", "NeedData", "OutOfState"]


class _Sentinel(enum.Enum):
    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return self.value


NEED_DATA: Final = _Sentinel.NEED_DATA
NeedData: TypeAlias = Literal[_Sentinel.NEED_DATA]


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The peer closed its side; nothing more will be received."""


@dataclass(frozen=True, slots=True)
class OutOfState:
    """The peer sent `pdu` in a state where SMPP 3.4 forbids it.

    The session is unharmed: answer a request with `pdu.response(command_status_hint)` (or
    `response_for(...)` for an `UnknownPdu`), ignore a response. `state` is the session state
    the PDU arrived in.
    """

    pdu: Pdu
    state: State
    command_status_hint: int
