"""
The SMPP 3.4 PDUs Relais speaks, as frozen dataclasses.

A PDU is a value: the codec turns it into bytes and back, the connection decides whether it
may be sent or received now. Field names and maximum sizes are those of SMPP 3.4 section 4.
C-octet strings are `str` read and written as Latin-1, so any byte a carrier puts in a
system_id or a message_id survives a round trip; short_message stays `bytes` because its
alphabet depends on data_coding (see `segmentation`). Every PDU carries its sequence_number
and every response its command_status. A request built with sequence_number 0 gets one from
the connection that sends it.

Commands Relais has no use for (query_sm, replace_sm, cancel_sm, submit_multi, vendor ones)
decode as `UnknownPdu`, which keeps the raw body so a driver can answer it with generic_nack
ESME_RINVCMDID or pass it on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, TypeAlias

from relais.smpp.constants import INTERFACE_VERSION, RESPONSE_BIT, CommandId, CommandStatus
from relais.smpp.tlv import HasTlvs, Tag, TlvFields, no_tlvs

__all__ = [
    "BIND_RESPONSES",
    "AlertNotification",
    "BindReceiver",
    "BindReceiverResp",
    "BindTransceiver",
    "BindTransceiverResp",
    "BindTransmitter",
    "BindTransmitterResp",
    "DataSm",
    "DataSmResp",
    "DeliverSm",
    "DeliverSmResp",
    "EnquireLink",
    "EnquireLinkResp",
    "GenericNack",
    "Outbind",
    "Pdu",
    "Request",
    "Response",
    "SubmitSm",
    "SubmitSmResp",
    "Unbind",
    "UnbindResp",
    "UnknownPdu",
    "response_for",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """A PDU that asks for a response (except outbind and alert_notification, which do not)."""

    command_id: ClassVar[int]
    response_class: ClassVar[type[Response]]
    sequence_number: int = 0

    def response(self, command_status: int = CommandStatus.ESME_ROK, **fields: Any) -> Response:
        """The response to this request, with the same sequence_number."""
        return self.response_class(
            sequence_number=self.sequence_number, command_status=command_status, **fields
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """A PDU that answers the request sent under the same sequence_number."""

    command_id: ClassVar[int]
    sequence_number: int = 0
    command_status: int = CommandStatus.ESME_ROK

    @property
    def ok(self) -> bool:
        return self.command_status == CommandStatus.ESME_ROK


# --- header-only PDUs ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class GenericNack(Response):
    command_id: ClassVar[int] = CommandId.GENERIC_NACK


@dataclass(frozen=True, slots=True, kw_only=True)
class UnbindResp(Response):
    command_id: ClassVar[int] = CommandId.UNBIND_RESP


@dataclass(frozen=True, slots=True, kw_only=True)
class Unbind(Request):
    command_id: ClassVar[int] = CommandId.UNBIND
    response_class: ClassVar[type[Response]] = UnbindResp


@dataclass(frozen=True, slots=True, kw_only=True)
class EnquireLinkResp(Response):
    command_id: ClassVar[int] = CommandId.ENQUIRE_LINK_RESP


@dataclass(frozen=True, slots=True, kw_only=True)
class EnquireLink(Request):
    command_id: ClassVar[int] = CommandId.ENQUIRE_LINK
    response_class: ClassVar[type[Response]] = EnquireLinkResp


# --- session ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class _BindResp(HasTlvs, Response):
    system_id: str = ""  # max 16 octets with the NUL
    tlvs: Mapping[int, bytes] = field(default_factory=no_tlvs, hash=False)  # sc_interface_version

    @property
    def sc_interface_version(self) -> int | None:
        value = self.tlvs.get(Tag.SC_INTERFACE_VERSION)
        return value[0] if value else None


@dataclass(frozen=True, slots=True, kw_only=True)
class BindTransmitterResp(_BindResp):
    command_id: ClassVar[int] = CommandId.BIND_TRANSMITTER_RESP


@dataclass(frozen=True, slots=True, kw_only=True)
class BindReceiverResp(_BindResp):
    command_id: ClassVar[int] = CommandId.BIND_RECEIVER_RESP


@dataclass(frozen=True, slots=True, kw_only=True)
class BindTransceiverResp(_BindResp):
    command_id: ClassVar[int] = CommandId.BIND_TRANSCEIVER_RESP


@dataclass(frozen=True, slots=True, kw_only=True)
class _Bind(Request):
    system_id: str = ""  # max 16
    password: str = ""  # max 9
    system_type: str = ""  # max 13
    interface_version: int = INTERFACE_VERSION
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""  # max 41


@dataclass(frozen=True, slots=True, kw_only=True)
class BindTransmitter(_Bind):
    command_id: ClassVar[int] = CommandId.BIND_TRANSMITTER
    response_class: ClassVar[type[Response]] = BindTransmitterResp


@dataclass(frozen=True, slots=True, kw_only=True)
class BindReceiver(_Bind):
    command_id: ClassVar[int] = CommandId.BIND_RECEIVER
    response_class: ClassVar[type[Response]] = BindReceiverResp


@dataclass(frozen=True, slots=True, kw_only=True)
class BindTransceiver(_Bind):
    command_id: ClassVar[int] = CommandId.BIND_TRANSCEIVER
    response_class: ClassVar[type[Response]] = BindTransceiverResp


@dataclass(frozen=True, slots=True, kw_only=True)
class Outbind(Request):
    """The SMSC asks the ESME to bind_receiver; it has no response PDU."""

    command_id: ClassVar[int] = CommandId.OUTBIND
    response_class: ClassVar[type[Response]] = GenericNack
    system_id: str = ""  # max 16
    password: str = ""  # max 9


# --- messages --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitSmResp(Response):
    command_id: ClassVar[int] = CommandId.SUBMIT_SM_RESP
    message_id: str = ""  # max 65; no body at all on the wire when refused and empty


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverSmResp(Response):
    command_id: ClassVar[int] = CommandId.DELIVER_SM_RESP
    message_id: str = ""  # unused by SMPP 3.4, always NULL in practice


@dataclass(frozen=True, slots=True, kw_only=True)
class _ShortMessage(TlvFields, Request):
    """submit_sm and deliver_sm share one layout (SMPP 3.4 sections 4.4.1 and 4.6.1)."""

    service_type: str = ""  # max 6
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""  # max 21
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""  # max 21
    esm_class: int = 0
    protocol_id: int = 0
    priority_flag: int = 0
    schedule_delivery_time: str = ""  # max 17; always empty in deliver_sm
    validity_period: str = ""  # max 17; always empty in deliver_sm
    registered_delivery: int = 0
    replace_if_present_flag: int = 0
    data_coding: int = 0
    sm_default_msg_id: int = 0
    short_message: bytes = b""  # max 254; sm_length is len(short_message)
    tlvs: Mapping[int, bytes] = field(default_factory=no_tlvs, hash=False)

    @property
    def user_data(self) -> bytes:
        """The message octets: message_payload when present, short_message otherwise."""
        payload = self.tlvs.get(Tag.MESSAGE_PAYLOAD)
        return self.short_message if payload is None else payload


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmitSm(_ShortMessage):
    command_id: ClassVar[int] = CommandId.SUBMIT_SM
    response_class: ClassVar[type[Response]] = SubmitSmResp


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverSm(_ShortMessage):
    command_id: ClassVar[int] = CommandId.DELIVER_SM
    response_class: ClassVar[type[Response]] = DeliverSmResp


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSmResp(HasTlvs, Response):
    command_id: ClassVar[int] = CommandId.DATA_SM_RESP
    message_id: str = ""  # max 65
    tlvs: Mapping[int, bytes] = field(default_factory=no_tlvs, hash=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class DataSm(TlvFields, Request):
    """data_sm: the message travels in the message_payload TLV (SMPP 3.4 section 4.7.1)."""

    command_id: ClassVar[int] = CommandId.DATA_SM
    response_class: ClassVar[type[Response]] = DataSmResp
    service_type: str = ""  # max 6
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""  # max 65
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""  # max 65
    esm_class: int = 0
    registered_delivery: int = 0
    data_coding: int = 0
    tlvs: Mapping[int, bytes] = field(default_factory=no_tlvs, hash=False)

    @property
    def user_data(self) -> bytes:
        return self.tlvs.get(Tag.MESSAGE_PAYLOAD, b"")


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertNotification(HasTlvs, Request):
    """The SMSC says a mobile became reachable; it has no response PDU."""

    command_id: ClassVar[int] = CommandId.ALERT_NOTIFICATION
    response_class: ClassVar[type[Response]] = GenericNack
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""  # max 65
    esme_addr_ton: int = 0
    esme_addr_npi: int = 0
    esme_addr: str = ""  # max 65
    tlvs: Mapping[int, bytes] = field(default_factory=no_tlvs, hash=False)  # ms_availability_status


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownPdu:
    """A command this codec does not model; `body` is kept as received."""

    command_id: int
    sequence_number: int = 0
    command_status: int = CommandStatus.ESME_ROK
    body: bytes = b""

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE_BIT)


# Any PDU: what the codec encodes and decodes and the connection sends and returns. Built on
# the two bases (not a union of the concrete classes) so a `request.response(...)` types as
# a PDU too; `isinstance` against the concrete classes narrows it.
Pdu: TypeAlias = Request | Response | UnknownPdu

BIND_RESPONSES: Final = (BindTransmitterResp, BindReceiverResp, BindTransceiverResp)

_RESPONSE_BY_REQUEST_ID: dict[int, type[Response]] = {
    cls.command_id: cls.response_class
    for cls in (
        BindTransmitter,
        BindReceiver,
        BindTransceiver,
        Unbind,
        EnquireLink,
        SubmitSm,
        DeliverSm,
        DataSm,
    )
}


def response_for(
    command_id: int, sequence_number: int, command_status: int = CommandStatus.ESME_ROK
) -> Response:
    """The response a driver answers a request with, given only its header.

    Used when the request itself could not be decoded (a RemoteProtocolError names its
    command_id and sequence_number) or is an `UnknownPdu`: the matching *_resp when SMPP 3.4
    has one and we model it, generic_nack otherwise (SMPP 3.4 section 3.3: generic_nack
    answers a PDU whose header or command id is invalid).
    """
    cls = _RESPONSE_BY_REQUEST_ID.get(command_id, GenericNack)
    return cls(sequence_number=sequence_number, command_status=command_status)
