"""
Errors of the SMPP core, after h11: who broke the protocol decides the class.

* RelaisError
  + SmppError ....................... the SMPP layer failed
    + ProtocolError ................. (never raised itself) SMPP 3.4 was broken
      - LocalProtocolError .......... we were about to send something invalid: a bug or bad
                                      input on our side; nothing was written
      - RemoteProtocolError ......... the peer sent something invalid

Each ProtocolError carries a `command_status_hint`: the command_status a driver should answer
with (ESME_RINVCMDLEN for a bad command_length, ESME_RINVBNDSTS for a PDU sent in the wrong
bind state, ...). When the faulty PDU could still be framed, `command_id` and `sequence_number`
say which request to answer; `fatal` is true when the byte stream cannot be framed any more
and the only way out is to close the connection.
"""

from __future__ import annotations

from relais.core.errors import RelaisError
from relais.smpp.constants import CommandStatus

__all__ = ["LocalProtocolError", "ProtocolError", "RemoteProtocolError", "SmppError"]


class SmppError(RelaisError):
    """The SMPP layer failed."""


class ProtocolError(SmppError):
    """SMPP 3.4 was broken."""

    def __init__(
        self,
        detail: str | None = None,
        *,
        command_status_hint: int = CommandStatus.ESME_RSYSERR,
        command_id: int | None = None,
        sequence_number: int | None = None,
        fatal: bool = False,
    ) -> None:
        if type(self) is ProtocolError:
            # As in h11: callers must say whose fault it is.
            raise TypeError("ProtocolError is abstract; raise LocalProtocolError or Remote...")
        super().__init__(detail)
        self.command_status_hint = command_status_hint
        self.command_id = command_id
        self.sequence_number = sequence_number
        self.fatal = fatal


class LocalProtocolError(ProtocolError):
    """We tried to send something SMPP 3.4 does not allow."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something SMPP 3.4 does not allow."""
