"""
The SMPP 3.4 session state machine, as tables.

Rule (after h11's `_state.py`): everything that decides which PDU may travel in which state,
and which PDU moves the session to which state, lives in this file, as data where possible.
`SmppConnection` only looks these tables up.

One state is shared by both ends, because SMPP binds the session as a whole: the bind_*_resp
that says ESME_ROK moves it to BOUND_* whichever side we are, unbind moves it to UNBOUND
(only responses to what is in flight may follow) and unbind_resp to CLOSED. A response whose
command_status is not ESME_ROK moves nothing, so a refused bind leaves the session OPEN for
another try. The end of the byte stream moves any state to CLOSED, or to ERROR when it cut a
PDU in half. ERROR is ours, not SMPP's: the byte stream broke (or a write failed) and all that
may still be sent is a generic_nack before closing.
"""

from __future__ import annotations

import enum
from typing import Final

from relais.smpp.constants import CommandId as C
from relais.smpp.constants import CommandStatus

__all__ = [
    "BINDS",
    "BOUND_STATES",
    "SENDABLE",
    "TRANSITIONS",
    "Role",
    "State",
    "may_send",
    "next_state",
    "rejection_status",
    "state_after_eof",
]


class Role(enum.StrEnum):
    ESME = "esme"  # the client: Relais towards a carrier
    SMSC = "smsc"  # the server: our carrier simulator


class State(enum.StrEnum):
    OPEN = "open"  # connected, not bound
    BOUND_TX = "bound_tx"
    BOUND_RX = "bound_rx"
    BOUND_TRX = "bound_trx"
    UNBOUND = "unbound"  # unbind sent or received, waiting for unbind_resp
    CLOSED = "closed"
    ERROR = "error"


BOUND_STATES: Final = frozenset({State.BOUND_TX, State.BOUND_RX, State.BOUND_TRX})
BINDS: Final = frozenset({C.BIND_TRANSMITTER, C.BIND_RECEIVER, C.BIND_TRANSCEIVER})

# Either side, in any bound state.
_LINK: Final = frozenset(
    {C.UNBIND, C.UNBIND_RESP, C.ENQUIRE_LINK, C.ENQUIRE_LINK_RESP, C.GENERIC_NACK}
)
# The ESME submits in TX; the SMSC answers those submits.
_ESME_TX: Final = frozenset({C.SUBMIT_SM, C.DATA_SM})
_SMSC_TX: Final = frozenset({C.SUBMIT_SM_RESP, C.DATA_SM_RESP})
# The SMSC delivers in RX (receipts, inbound SMS, alerts); the ESME answers those.
_SMSC_RX: Final = frozenset({C.DELIVER_SM, C.DATA_SM, C.ALERT_NOTIFICATION})
_ESME_RX: Final = frozenset({C.DELIVER_SM_RESP, C.DATA_SM_RESP})

# What each role may send in each state. What a role may receive is what its peer may send.
SENDABLE: Final[dict[tuple[Role, State], frozenset[int]]] = {
    (Role.ESME, State.OPEN): BINDS | {C.ENQUIRE_LINK, C.ENQUIRE_LINK_RESP, C.GENERIC_NACK},
    (Role.ESME, State.BOUND_TX): _LINK | _ESME_TX,
    (Role.ESME, State.BOUND_RX): _LINK | _ESME_RX,
    (Role.ESME, State.BOUND_TRX): _LINK | _ESME_TX | _ESME_RX,
    (Role.ESME, State.UNBOUND): _ESME_RX | {C.UNBIND_RESP, C.ENQUIRE_LINK_RESP, C.GENERIC_NACK},
    (Role.ESME, State.CLOSED): frozenset(),
    (Role.ESME, State.ERROR): frozenset({C.GENERIC_NACK}),
    (Role.SMSC, State.OPEN): frozenset(
        {
            C.BIND_TRANSMITTER_RESP,
            C.BIND_RECEIVER_RESP,
            C.BIND_TRANSCEIVER_RESP,
            C.OUTBIND,
            C.ENQUIRE_LINK,
            C.ENQUIRE_LINK_RESP,
            C.GENERIC_NACK,
        }
    ),
    (Role.SMSC, State.BOUND_TX): _LINK | _SMSC_TX,
    (Role.SMSC, State.BOUND_RX): _LINK | _SMSC_RX,
    (Role.SMSC, State.BOUND_TRX): _LINK | _SMSC_TX | _SMSC_RX,
    (Role.SMSC, State.UNBOUND): _SMSC_TX | {C.UNBIND_RESP, C.ENQUIRE_LINK_RESP, C.GENERIC_NACK},
    (Role.SMSC, State.CLOSED): frozenset(),
    (Role.SMSC, State.ERROR): frozenset({C.GENERIC_NACK}),
}

# (state, command_id of a PDU sent or received) -> next state; responses only when ESME_ROK.
TRANSITIONS: Final[dict[tuple[State, int], State]] = {
    (State.OPEN, C.BIND_TRANSMITTER_RESP): State.BOUND_TX,
    (State.OPEN, C.BIND_RECEIVER_RESP): State.BOUND_RX,
    (State.OPEN, C.BIND_TRANSCEIVER_RESP): State.BOUND_TRX,
    (State.BOUND_TX, C.UNBIND): State.UNBOUND,
    (State.BOUND_RX, C.UNBIND): State.UNBOUND,
    (State.BOUND_TRX, C.UNBIND): State.UNBOUND,
    (State.UNBOUND, C.UNBIND_RESP): State.CLOSED,
}

# Commands we do not model (UnknownPdu) may travel where any message may: they are answered
# with generic_nack ESME_RINVCMDID, not judged by the bind state.
_UNKNOWN_ALLOWED: Final = BOUND_STATES | {State.OPEN, State.UNBOUND}


def may_send(
    role: Role, state: State, command_id: int, *, known: bool = True, refusal: bool = False
) -> bool:
    """Whether `role` may send a PDU with `command_id` while the session is in `state`.

    `refusal` is a response whose command_status is not ESME_ROK: one may answer any request
    so in every state but CLOSED and ERROR, or an out-of-state request could not be refused.
    """
    if refusal and state is not State.CLOSED and state is not State.ERROR:
        return True
    if not known:
        return state in _UNKNOWN_ALLOWED
    return command_id in SENDABLE[role, state]


def next_state(state: State, command_id: int, command_status: int) -> State:
    """The state after a PDU with this header was sent or received."""
    new = TRANSITIONS.get((state, command_id))
    if new is None or command_status != CommandStatus.ESME_ROK:
        return state
    return new


def rejection_status(state: State, command_id: int) -> int:
    """The command_status answering a request the sender may not send in `state`."""
    if command_id in BINDS and state in BOUND_STATES | {State.UNBOUND}:
        return CommandStatus.ESME_RALYBND
    return CommandStatus.ESME_RINVBNDSTS


def state_after_eof(*, partial_pdu: bool) -> State:
    """The state once the peer closed the stream; a PDU cut in half is an error."""
    return State.ERROR if partial_pdu else State.CLOSED
