"""
Bytes <-> PDUs: `encode(pdu)`, `decode(one_pdu_bytes)` and the streaming `PduReader`.

The per-layout work is in `readers` and `writers`; this module frames, dispatches on the
command_id or the PDU type, and turns low-level failures into protocol errors.

Errors follow who is at fault: encoding raises `LocalProtocolError` (we were about to send
something invalid), decoding raises `RemoteProtocolError` (the peer sent it). A body that
cannot be read still names its command_id and sequence_number so the driver can answer it,
and the reader carries on with the next PDU; a command_length outside [16, max] leaves no way
to find the next PDU, so that error is `fatal` and the reader stays broken.
"""

from __future__ import annotations

from struct import Struct
from struct import error as StructError
from typing import Final

from relais.smpp.constants import CommandId
from relais.smpp.constants import CommandStatus as S
from relais.smpp.errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from relais.smpp.events import NEED_DATA, NeedData
from relais.smpp.pdu import Pdu, Response, UnknownPdu
from relais.smpp.readers import HEADER_SIZE, READERS
from relais.smpp.writers import WRITERS

__all__ = ["DEFAULT_MAX_COMMAND_LENGTH", "HEADER_SIZE", "PduReader", "decode", "encode"]

DEFAULT_MAX_COMMAND_LENGTH: Final = 64 * 1024

_HEADER: Final = Struct(">IIII")
_LENGTH: Final = Struct(">I")


def decode(data: bytes) -> Pdu:
    """The PDU in `data`, which holds exactly one PDU, header included.

    Raises:
        RemoteProtocolError: the bytes are not a valid SMPP 3.4 PDU.
    """
    if len(data) < HEADER_SIZE:
        raise RemoteProtocolError(
            f"{len(data)} octets cannot hold a PDU header",
            command_status_hint=S.ESME_RINVCMDLEN,
            fatal=True,
        )
    length, command_id, status, seq = _HEADER.unpack_from(data)
    if length != len(data):
        raise RemoteProtocolError(
            f"command_length {length} but {len(data)} octets given",
            command_status_hint=S.ESME_RINVCMDLEN,
            command_id=command_id,
            sequence_number=seq,
            fatal=True,
        )
    decoder = READERS.get(command_id)
    if decoder is None:
        return UnknownPdu(
            command_id=command_id, sequence_number=seq, command_status=status, body=data[16:]
        )
    try:
        return decoder(status, seq, data)
    except ProtocolError as exc:
        exc.command_id, exc.sequence_number = command_id, seq
        raise
    except (IndexError, StructError):
        raise RemoteProtocolError(
            f"{CommandId(command_id).name.lower()} body ends after {length - 16} octets",
            command_status_hint=S.ESME_RINVCMDLEN,
            command_id=command_id,
            sequence_number=seq,
        ) from None


class PduReader:
    """Frames PDUs out of a byte stream: `feed()` what the socket gave, then call `next_pdu()`
    until it returns `NEED_DATA`."""

    def __init__(self, *, max_command_length: int = DEFAULT_MAX_COMMAND_LENGTH) -> None:
        self.max_command_length = max_command_length
        self._buffer = bytearray()
        self._broken: str | None = None

    def feed(self, data: bytes) -> None:
        self._buffer += data

    @property
    def buffered(self) -> int:
        """Octets received and not yet returned as a PDU (a partial PDU at end of stream)."""
        return len(self._buffer)

    def next_pdu(self) -> Pdu | NeedData:
        """The next complete PDU, or `NEED_DATA`.

        Raises:
            RemoteProtocolError: the next PDU is invalid. When `fatal` is false its bytes
                were consumed and the next call reads on; when true every later call raises.
        """
        if self._broken is not None:
            raise RemoteProtocolError(
                self._broken, command_status_hint=S.ESME_RINVCMDLEN, fatal=True
            )
        buffer = self._buffer
        if len(buffer) < 4:
            return NEED_DATA
        length = _LENGTH.unpack_from(buffer)[0]
        if length < HEADER_SIZE or length > self.max_command_length:
            # Checked on the first four octets, so garbage fails fast instead of waiting for
            # gigabytes that will never come.
            self._broken = (
                f"command_length {length} is outside [16, {self.max_command_length}]; "
                "the stream cannot be framed any more"
            )
            raise RemoteProtocolError(
                self._broken, command_status_hint=S.ESME_RINVCMDLEN, fatal=True
            )
        if len(buffer) < length:
            return NEED_DATA
        data = bytes(buffer[:length])
        del buffer[:length]
        return decode(data)


def encode(pdu: Pdu) -> bytes:
    """The wire bytes of `pdu`.

    Raises:
        LocalProtocolError: a field does not fit SMPP 3.4 (too long, out of range, not Latin-1).
    """
    encoder = WRITERS.get(type(pdu))
    if encoder is None:
        raise LocalProtocolError(f"{pdu!r} is not an SMPP PDU")
    status = pdu.command_status if isinstance(pdu, Response | UnknownPdu) else 0
    try:
        body = encoder(pdu)
        return _HEADER.pack(16 + len(body), pdu.command_id, status, pdu.sequence_number) + body
    except (ValueError, TypeError, AttributeError, StructError) as exc:
        raise LocalProtocolError(f"cannot encode {type(pdu).__name__}: {exc}") from None
