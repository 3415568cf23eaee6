"""
Optional parameters (TLVs): kept raw, read through typed accessors.

A PDU holds its TLVs as a `Tlvs`, a read-only dict of tag -> value bytes in wire order, so an
unknown or vendor-specific TLV survives a decode/encode round trip untouched and the decoder
does no work for TLVs nobody reads. The accessors of `TlvFields` decode the few values Relais
uses, leniently: a receipted_message_id without its terminating NUL still reads, an integer
sent in more octets than the specification says still reads. `make_tlvs` builds the mapping
with the exact SMPP 3.4 sizes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from struct import Struct
from struct import error as StructError
from typing import Final, NoReturn

from relais.smpp.constants import CommandStatus
from relais.smpp.errors import LocalProtocolError, RemoteProtocolError

__all__ = [
    "NO_TLVS",
    "HasTlvs",
    "Tag",
    "TlvFields",
    "Tlvs",
    "decode_tlvs",
    "encode_tlvs",
    "make_tlvs",
    "no_tlvs",
]


class Tlvs(dict[int, bytes]):
    """A read-only dict: a frozen PDU must not change under its holder's feet.

    A dict subclass rather than a Mapping so lookups stay at C speed on the hot path. Like a
    dict it has no hash: PDUs leave their TLVs out of theirs (`field(hash=False)`), and
    compare them for equality.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Tlvs({dict.__repr__(self)})"

    def _read_only(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("TLVs of a PDU are read-only; build a new PDU with make_tlvs()")

    __setitem__ = __delitem__ = __ior__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only


NO_TLVS: Final = Tlvs()


def no_tlvs() -> Tlvs:
    """`NO_TLVS`, as the default of a PDU's `tlvs`: a dataclass takes a default without a
    hash only from a factory."""
    return NO_TLVS


class HasTlvs:
    """Mixin of the PDUs with TLVs: whatever mapping they are given is frozen into `Tlvs`."""

    __slots__ = ()
    tlvs: Mapping[int, bytes]

    def __post_init__(self) -> None:
        if type(self.tlvs) is not Tlvs:
            object.__setattr__(self, "tlvs", Tlvs(self.tlvs))


_TLV_HEAD: Final = Struct(">HH")
_U16: Final = Struct(">H")


class Tag(enum.IntEnum):
    """TLV tags of SMPP 3.4 section 5.3.2."""

    DEST_ADDR_SUBUNIT = 0x0005
    DEST_NETWORK_TYPE = 0x0006
    DEST_BEARER_TYPE = 0x0007
    DEST_TELEMATICS_ID = 0x0008
    SOURCE_ADDR_SUBUNIT = 0x000D
    SOURCE_NETWORK_TYPE = 0x000E
    SOURCE_BEARER_TYPE = 0x000F
    SOURCE_TELEMATICS_ID = 0x0010
    QOS_TIME_TO_LIVE = 0x0017
    PAYLOAD_TYPE = 0x0019
    ADDITIONAL_STATUS_INFO_TEXT = 0x001D
    RECEIPTED_MESSAGE_ID = 0x001E
    MS_MSG_WAIT_FACILITIES = 0x0030
    PRIVACY_INDICATOR = 0x0201
    SOURCE_SUBADDRESS = 0x0202
    DEST_SUBADDRESS = 0x0203
    USER_MESSAGE_REFERENCE = 0x0204
    USER_RESPONSE_CODE = 0x0205
    SOURCE_PORT = 0x020A
    DESTINATION_PORT = 0x020B
    SAR_MSG_REF_NUM = 0x020C
    LANGUAGE_INDICATOR = 0x020D
    SAR_TOTAL_SEGMENTS = 0x020E
    SAR_SEGMENT_SEQNUM = 0x020F
    SC_INTERFACE_VERSION = 0x0210
    CALLBACK_NUM_PRES_IND = 0x0302
    CALLBACK_NUM_ATAG = 0x0303
    NUMBER_OF_MESSAGES = 0x0304
    CALLBACK_NUM = 0x0381
    DPF_RESULT = 0x0420
    SET_DPF = 0x0421
    MS_AVAILABILITY_STATUS = 0x0422
    NETWORK_ERROR_CODE = 0x0423
    MESSAGE_PAYLOAD = 0x0424
    DELIVERY_FAILURE_REASON = 0x0425
    MORE_MESSAGES_TO_SEND = 0x0426
    MESSAGE_STATE = 0x0427
    USSD_SERVICE_OP = 0x0501
    DISPLAY_TIME = 0x1201
    SMS_SIGNAL = 0x1203
    MS_VALIDITY = 0x1204
    ALERT_ON_MESSAGE_DELIVERY = 0x130C
    ITS_REPLY_TYPE = 0x1380
    ITS_SESSION_INFO = 0x1383


def decode_tlvs(data: bytes, pos: int, end: int) -> Tlvs:
    """The TLVs in `data[pos:end]`; a TLV running past `end` is ESME_RINVOPTPARSTREAM."""
    tlvs: dict[int, bytes] = {}
    unpack = _TLV_HEAD.unpack_from
    while pos < end:
        if end - pos < 4:
            raise RemoteProtocolError(
                f"{end - pos} stray octets after the last TLV",
                command_status_hint=CommandStatus.ESME_RINVOPTPARSTREAM,
            )
        tag, length = unpack(data, pos)
        pos += 4
        stop = pos + length
        if stop > end:
            raise RemoteProtocolError(
                f"TLV 0x{tag:04X} declares {length} octets, {end - pos} remain",
                command_status_hint=CommandStatus.ESME_RINVOPTPARSTREAM,
            )
        tlvs[tag] = data[pos:stop]
        pos = stop
    return Tlvs(tlvs)


def encode_tlvs(tlvs: Mapping[int, bytes]) -> bytes:
    out = []
    for tag, value in tlvs.items():
        try:
            out.append(_TLV_HEAD.pack(tag, len(value)))
        except StructError:  # a tag or a length over 16 bits
            raise LocalProtocolError(
                f"TLV 0x{tag:X} with {len(value)} octets does not fit 16-bit tag and length",
                command_status_hint=CommandStatus.ESME_RINVPARLEN,
            ) from None
        out.append(bytes(value))
    return b"".join(out)


def make_tlvs(
    *,
    sar_msg_ref_num: int | None = None,
    sar_total_segments: int | None = None,
    sar_segment_seqnum: int | None = None,
    message_payload: bytes | None = None,
    receipted_message_id: str | None = None,
    message_state: int | None = None,
    network_error_code: tuple[int, int] | None = None,
    user_message_reference: int | None = None,
    source_port: int | None = None,
    destination_port: int | None = None,
    more_messages_to_send: int | None = None,
    sc_interface_version: int | None = None,
    extra: Mapping[int, bytes] | None = None,
) -> Tlvs:
    """TLVs with SMPP 3.4 sizes; `network_error_code` is (network type, error code)."""
    tlvs: dict[int, bytes] = {}
    try:
        if sar_msg_ref_num is not None:
            tlvs[Tag.SAR_MSG_REF_NUM] = _U16.pack(sar_msg_ref_num)
        if sar_total_segments is not None:
            tlvs[Tag.SAR_TOTAL_SEGMENTS] = bytes((sar_total_segments,))
        if sar_segment_seqnum is not None:
            tlvs[Tag.SAR_SEGMENT_SEQNUM] = bytes((sar_segment_seqnum,))
        if message_payload is not None:
            tlvs[Tag.MESSAGE_PAYLOAD] = bytes(message_payload)
        if receipted_message_id is not None:
            tlvs[Tag.RECEIPTED_MESSAGE_ID] = receipted_message_id.encode("latin-1") + b"\0"
        if message_state is not None:
            tlvs[Tag.MESSAGE_STATE] = bytes((message_state,))
        if network_error_code is not None:
            network_type, error = network_error_code
            tlvs[Tag.NETWORK_ERROR_CODE] = bytes((network_type,)) + _U16.pack(error)
        if user_message_reference is not None:
            tlvs[Tag.USER_MESSAGE_REFERENCE] = _U16.pack(user_message_reference)
        if source_port is not None:
            tlvs[Tag.SOURCE_PORT] = _U16.pack(source_port)
        if destination_port is not None:
            tlvs[Tag.DESTINATION_PORT] = _U16.pack(destination_port)
        if more_messages_to_send is not None:
            tlvs[Tag.MORE_MESSAGES_TO_SEND] = bytes((more_messages_to_send,))
        if sc_interface_version is not None:
            tlvs[Tag.SC_INTERFACE_VERSION] = bytes((sc_interface_version,))
    except (ValueError, TypeError, StructError) as exc:
        raise LocalProtocolError(
            f"TLV value out of range: {exc}", command_status_hint=CommandStatus.ESME_RINVOPTPARAMVAL
        ) from None
    if extra:
        tlvs.update(extra)
    return Tlvs(tlvs)


def _int(tlvs: Mapping[int, bytes], tag: int) -> int | None:
    value = tlvs.get(tag)
    return None if value is None or not value else int.from_bytes(value, "big")


class TlvFields(HasTlvs):
    """Typed read access to the TLVs of a message PDU (submit_sm, deliver_sm, data_sm)."""

    __slots__ = ()

    @property
    def sar_msg_ref_num(self) -> int | None:
        return _int(self.tlvs, Tag.SAR_MSG_REF_NUM)

    @property
    def sar_total_segments(self) -> int | None:
        return _int(self.tlvs, Tag.SAR_TOTAL_SEGMENTS)

    @property
    def sar_segment_seqnum(self) -> int | None:
        return _int(self.tlvs, Tag.SAR_SEGMENT_SEQNUM)

    @property
    def message_payload(self) -> bytes | None:
        return self.tlvs.get(Tag.MESSAGE_PAYLOAD)

    @property
    def receipted_message_id(self) -> str | None:
        value = self.tlvs.get(Tag.RECEIPTED_MESSAGE_ID)
        if value is None:
            return None
        return value.split(b"\0", 1)[0].decode("latin-1").strip()

    @property
    def message_state(self) -> int | None:
        return _int(self.tlvs, Tag.MESSAGE_STATE)

    @property
    def network_error_code(self) -> tuple[int, int] | None:
        """(network type: 1 ANSI-136, 2 IS-95, 3 GSM, ...; the network's error code)."""
        value = self.tlvs.get(Tag.NETWORK_ERROR_CODE)
        if not value:
            return None
        return value[0], int.from_bytes(value[1:], "big")

    @property
    def user_message_reference(self) -> int | None:
        return _int(self.tlvs, Tag.USER_MESSAGE_REFERENCE)

    @property
    def source_port(self) -> int | None:
        return _int(self.tlvs, Tag.SOURCE_PORT)

    @property
    def destination_port(self) -> int | None:
        return _int(self.tlvs, Tag.DESTINATION_PORT)

    @property
    def more_messages_to_send(self) -> int | None:
        return _int(self.tlvs, Tag.MORE_MESSAGES_TO_SEND)
