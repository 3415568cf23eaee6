"""
`SmppConnection`: one SMPP session, sans I/O.

Shape (after h11's `Connection`): the driver hands over what the socket read with
`receive_data(bytes)` (b"" at end of stream), drains `next_event()` until `NEED_DATA`, and
writes whatever `send(pdu)` returns. No socket, no task, no clock: the driver owns those,
including response timeouts, which it reports back with `abandon(sequence_number)`.

The connection keeps three things:
  * the session state, moved only through the tables of `state.py`;
  * our requests awaiting a response (the window), keyed by sequence_number, so `outstanding`
    is exact and a response to nothing we sent is a RemoteProtocolError;
  * the peer's requests we have not answered yet, so we never answer a request twice, or one
    that never came.

A PDU the peer may not send in the current state is not an error of the session: it comes
out as `OutOfState` with the command_status to answer it with (ESME_RINVBNDSTS, or
ESME_RALYBND for a second bind).
"""

from __future__ import annotations

import dataclasses
from typing import Final

from relais.smpp.codec import DEFAULT_MAX_COMMAND_LENGTH, PduReader, encode
from relais.smpp.constants import GENERIC_NACK_ID, RESPONSE_BIT, CommandId
from relais.smpp.constants import CommandStatus as S
from relais.smpp.errors import LocalProtocolError, RemoteProtocolError
from relais.smpp.events import NEED_DATA, ConnectionClosed, NeedData, OutOfState
from relais.smpp.pdu import AlertNotification, Outbind, Pdu, UnknownPdu
from relais.smpp.state import (
    Role,
    State,
    may_send,
    next_state,
    rejection_status,
    state_after_eof,
)

__all__ = ["MAX_SEQUENCE_NUMBER", "Event", "SmppConnection"]

MAX_SEQUENCE_NUMBER: Final = 0x7FFFFFFF
Event = Pdu | OutOfState | ConnectionClosed | NeedData

# Requests SMPP 3.4 defines no response for: nothing to wait for.
_UNANSWERED: Final = (Outbind, AlertNotification)


def _name(command_id: int) -> str:
    try:
        return CommandId(command_id).name.lower()
    except ValueError:
        return f"command 0x{command_id:08X}"


def _is_response(pdu: Pdu) -> bool:
    return bool(pdu.command_id & RESPONSE_BIT)


def _status(pdu: Pdu) -> int:
    return getattr(pdu, "command_status", S.ESME_ROK)


class SmppConnection:
    """One end of an SMPP session; `role` says which end we are."""

    def __init__(
        self,
        role: Role,
        *,
        window: int | None = None,
        max_command_length: int = DEFAULT_MAX_COMMAND_LENGTH,
        first_sequence_number: int = 1,
    ) -> None:
        if not 1 <= first_sequence_number <= MAX_SEQUENCE_NUMBER:
            raise ValueError(f"first_sequence_number must be in [1, {MAX_SEQUENCE_NUMBER}]")
        self.our_role = role
        self.their_role = Role.SMSC if role is Role.ESME else Role.ESME
        self.state = State.OPEN
        self.window = window
        self._reader = PduReader(max_command_length=max_command_length)
        self._next_sequence = first_sequence_number
        self._pending: dict[int, Pdu] = {}  # ours, awaiting their response
        self._unanswered: dict[int, int] = {}  # theirs: sequence_number -> command_id
        self._eof = False

    # ----------------------------------------------------------------------------- window

    @property
    def outstanding(self) -> int:
        """How many of our requests await a response."""
        return len(self._pending)

    def pending(self, sequence_number: int) -> Pdu | None:
        """Our request awaiting a response under `sequence_number`, if any."""
        return self._pending.get(sequence_number)

    @property
    def unanswered(self) -> int:
        """How many of the peer's requests we have not answered yet."""
        return len(self._unanswered)

    def next_sequence_number(self) -> int:
        """A sequence_number for a request, 1..0x7FFFFFFF, wrapping, never one in flight."""
        sequence = self._next_sequence
        while sequence in self._pending:
            sequence = sequence % MAX_SEQUENCE_NUMBER + 1
        self._next_sequence = sequence % MAX_SEQUENCE_NUMBER + 1
        return sequence

    def abandon(self, sequence_number: int) -> Pdu | None:
        """Stop waiting for the response to one of our requests (the driver's timeout fired).

        A response arriving later is then a RemoteProtocolError, as for any unknown number.
        """
        return self._pending.pop(sequence_number, None)

    # ---------------------------------------------------------------------------- receive

    def receive_data(self, data: bytes) -> None:
        """Bytes read from the peer; b"" means the peer closed its side."""
        if self._eof:
            if data:
                raise RuntimeError("received data after the end of the stream")
            return
        if data:
            self._reader.feed(data)
        else:
            self._eof = True

    def next_event(self) -> Event:
        """The next thing the peer did.

        Returns:
            a PDU; `OutOfState` for a PDU the peer may not send now; `ConnectionClosed` once
            the peer closed and every complete PDU was returned; or `NEED_DATA`.

        Raises:
            RemoteProtocolError: the peer broke SMPP. If `fatal`, the session is in ERROR
                and should be closed (a generic_nack may still be sent first). Otherwise it
                goes on; when the error names a request (command_id and sequence_number),
                answer it with `response_for(...)` and the `command_status_hint`.
        """
        if self.state is State.ERROR:
            raise RemoteProtocolError(
                "the session is in ERROR; close it", command_status_hint=S.ESME_RSYSERR, fatal=True
            )
        try:
            pdu = self._reader.next_pdu()
        except RemoteProtocolError as exc:
            if exc.fatal:
                self.state = State.ERROR
            elif exc.command_id is not None and not exc.command_id & RESPONSE_BIT:
                self._unanswered[exc.sequence_number or 0] = exc.command_id
            raise
        if pdu is NEED_DATA:
            if not self._eof:
                return NEED_DATA
            self.state = state_after_eof(partial_pdu=self._reader.buffered > 0)
            if self.state is State.ERROR:
                raise RemoteProtocolError(
                    f"the peer closed the stream {self._reader.buffered} octets into a PDU",
                    command_status_hint=S.ESME_RINVCMDLEN,
                    fatal=True,
                )
            return ConnectionClosed()
        if _is_response(pdu):
            return self._receive_response(pdu)
        return self._receive_request(pdu)

    def _receive_request(self, pdu: Pdu) -> Pdu | OutOfState:
        state = self.state
        answered = not isinstance(pdu, _UNANSWERED)
        if answered:
            self._unanswered[pdu.sequence_number] = pdu.command_id
        known = not isinstance(pdu, UnknownPdu)
        if not may_send(self.their_role, state, pdu.command_id, known=known):
            return OutOfState(pdu, state, rejection_status(state, pdu.command_id))
        self.state = next_state(state, pdu.command_id, S.ESME_ROK)
        return pdu

    def _receive_response(self, pdu: Pdu) -> Pdu | OutOfState:
        command_id, sequence = pdu.command_id, pdu.sequence_number
        request = self._pending.get(sequence)
        if request is None:
            if command_id == GENERIC_NACK_ID:
                # The peer could not frame something we sent; its number may be anything.
                return pdu
            raise RemoteProtocolError(
                f"{_name(command_id)} answers sequence_number {sequence}, "
                "for which no request is outstanding",
                command_status_hint=S.ESME_RINVCMDID,
                command_id=command_id,
                sequence_number=sequence,
            )
        if command_id not in (GENERIC_NACK_ID, request.command_id | RESPONSE_BIT):
            raise RemoteProtocolError(
                f"{_name(command_id)} answers {_name(request.command_id)} {sequence}",
                command_status_hint=S.ESME_RINVCMDID,
                command_id=command_id,
                sequence_number=sequence,
            )
        del self._pending[sequence]
        state = self.state
        status = _status(pdu)
        known = not isinstance(pdu, UnknownPdu)
        if not may_send(self.their_role, state, command_id, known=known, refusal=status != 0):
            return OutOfState(pdu, state, rejection_status(state, command_id))
        self.state = next_state(state, command_id, status)
        return pdu

    # ------------------------------------------------------------------------------- send

    def send(self, pdu: Pdu) -> bytes:
        """The bytes to write for `pdu`; a request with sequence_number 0 is given one.

        Raises:
            LocalProtocolError: the PDU may not be sent in this state (command_status_hint
                ESME_RINVBNDSTS), answers no request of the peer, reuses a number in flight,
                would exceed the window (ESME_RTHROTTLED), or does not encode. Nothing
                changes when it raises.
        """
        state = self.state
        command_id = pdu.command_id
        response = _is_response(pdu)
        status = _status(pdu)
        known = not isinstance(pdu, UnknownPdu)
        refusal = response and status != S.ESME_ROK
        if not may_send(self.our_role, state, command_id, known=known, refusal=refusal):
            raise LocalProtocolError(
                f"{self.our_role.value} may not send {_name(command_id)} in state {state.value}",
                command_status_hint=S.ESME_RINVBNDSTS,
            )
        if response:
            self._check_answers(pdu)
        else:
            pdu = self._number(pdu)
        data = encode(pdu)
        if response:
            self._unanswered.pop(pdu.sequence_number, None)
        elif not isinstance(pdu, _UNANSWERED):
            self._pending[pdu.sequence_number] = pdu
        self.state = next_state(state, command_id, status)
        return data

    def send_failed(self) -> None:
        """The driver could not write what `send` returned: the session cannot go on."""
        self.state = State.ERROR

    def _check_answers(self, pdu: Pdu) -> None:
        asked = self._unanswered.get(pdu.sequence_number)
        if pdu.command_id == GENERIC_NACK_ID:
            return  # may answer anything, even a PDU that could not be framed
        if asked is None or asked | RESPONSE_BIT != pdu.command_id:
            raise LocalProtocolError(
                f"{_name(pdu.command_id)} {pdu.sequence_number} answers no request of the peer",
                command_status_hint=S.ESME_RSYSERR,
            )

    def _number(self, pdu: Pdu) -> Pdu:
        if self.window is not None and len(self._pending) >= self.window:
            raise LocalProtocolError(
                f"window of {self.window} outstanding requests is full",
                command_status_hint=S.ESME_RTHROTTLED,
            )
        sequence = pdu.sequence_number
        if sequence == 0:
            return dataclasses.replace(pdu, sequence_number=self.next_sequence_number())
        if sequence in self._pending:
            raise LocalProtocolError(
                f"sequence_number {sequence} is already in flight",
                command_status_hint=S.ESME_RSYSERR,
            )
        return pdu
