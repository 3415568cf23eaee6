"""
Readers: one straight-line function per PDU body layout, bytes -> PDU.

Strategy: each reader gets the whole PDU (header included) and reads it with precompiled
`Struct`s, single-octet indexing and `bytes.find(0, start, stop)` for C-octet strings, whose
bounded search also enforces the field's maximum size. A submit_sm then decodes in a few
microseconds in CPython, where a walk over a table of field descriptions costs several times
more. A field past the end surfaces as IndexError or struct.error, which `codec.decode`
turns into a RemoteProtocolError; a field that is present but wrong raises one here, with
the command_status that names the field (ESME_RINVSRCADR for a source_addr too long, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from struct import Struct
from typing import Final

from relais.smpp.constants import CommandId
from relais.smpp.constants import CommandStatus as S
from relais.smpp.errors import RemoteProtocolError
from relais.smpp.pdu import (
    AlertNotification,
    BindReceiver,
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Outbind,
    Pdu,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
)
from relais.smpp.tlv import NO_TLVS, decode_tlvs

__all__ = ["HEADER_SIZE", "READERS"]

HEADER_SIZE: Final = 16
_B5: Final = Struct(">BBBBB")


def _cstr(data: bytes, pos: int, limit: int, field: str, hint: int) -> tuple[str, int]:
    """The C-octet string at `pos` (at most `limit` octets with its NUL) and the next offset."""
    nul = data.find(0, pos, pos + limit)
    if nul < 0:
        _bad_cstr(data, pos, limit, field, hint)
    return data[pos:nul].decode("latin-1"), nul + 1


def _bad_cstr(data: bytes, pos: int, limit: int, field: str, hint: int) -> None:
    if data.find(0, pos) < 0:
        raise RemoteProtocolError(
            f"{field} has no NUL before the end of the PDU",
            command_status_hint=S.ESME_RINVCMDLEN,
        )
    raise RemoteProtocolError(
        f"{field} is longer than {limit - 1} octets", command_status_hint=hint
    )


def _tail(data: bytes, pos: int) -> Mapping[int, bytes]:
    return decode_tlvs(data, pos, len(data)) if pos < len(data) else NO_TLVS


def _decode_sm(cls: type[SubmitSm | DeliverSm], seq: int, data: bytes) -> Pdu:
    find = data.find
    nul = find(0, 16, 22)
    if nul < 0:
        _bad_cstr(data, 16, 6, "service_type", S.ESME_RINVSERTYP)
    service_type = data[16:nul].decode("latin-1")
    source_addr_ton = data[nul + 1]
    source_addr_npi = data[nul + 2]
    pos = nul + 3
    nul = find(0, pos, pos + 21)
    if nul < 0:
        _bad_cstr(data, pos, 21, "source_addr", S.ESME_RINVSRCADR)
    source_addr = data[pos:nul].decode("latin-1")
    dest_addr_ton = data[nul + 1]
    dest_addr_npi = data[nul + 2]
    pos = nul + 3
    nul = find(0, pos, pos + 21)
    if nul < 0:
        _bad_cstr(data, pos, 21, "destination_addr", S.ESME_RINVDSTADR)
    destination_addr = data[pos:nul].decode("latin-1")
    esm_class = data[nul + 1]
    protocol_id = data[nul + 2]
    priority_flag = data[nul + 3]
    pos = nul + 4
    nul = find(0, pos, pos + 17)
    if nul < 0:
        _bad_cstr(data, pos, 17, "schedule_delivery_time", S.ESME_RINVSCHED)
    schedule = data[pos:nul].decode("latin-1")
    pos = nul + 1
    nul = find(0, pos, pos + 17)
    if nul < 0:
        _bad_cstr(data, pos, 17, "validity_period", S.ESME_RINVEXPIRY)
    validity = data[pos:nul].decode("latin-1")
    registered, replace, data_coding, default_id, sm_length = _B5.unpack_from(data, nul + 1)
    pos = nul + 6
    end = pos + sm_length
    if end > len(data):
        raise RemoteProtocolError(
            f"sm_length {sm_length} runs past the end of the PDU",
            command_status_hint=S.ESME_RINVMSGLEN,
        )
    return cls(
        sequence_number=seq,
        service_type=service_type,
        source_addr_ton=source_addr_ton,
        source_addr_npi=source_addr_npi,
        source_addr=source_addr,
        dest_addr_ton=dest_addr_ton,
        dest_addr_npi=dest_addr_npi,
        destination_addr=destination_addr,
        esm_class=esm_class,
        protocol_id=protocol_id,
        priority_flag=priority_flag,
        schedule_delivery_time=schedule,
        validity_period=validity,
        registered_delivery=registered,
        replace_if_present_flag=replace,
        data_coding=data_coding,
        sm_default_msg_id=default_id,
        short_message=data[pos:end],
        tlvs=decode_tlvs(data, end, len(data)) if end < len(data) else NO_TLVS,
    )


def _decode_data_sm(seq: int, data: bytes) -> DataSm:
    service_type, pos = _cstr(data, 16, 6, "service_type", S.ESME_RINVSERTYP)
    source_ton, source_npi = data[pos], data[pos + 1]
    source_addr, pos = _cstr(data, pos + 2, 65, "source_addr", S.ESME_RINVSRCADR)
    dest_ton, dest_npi = data[pos], data[pos + 1]
    destination_addr, pos = _cstr(data, pos + 2, 65, "destination_addr", S.ESME_RINVDSTADR)
    esm_class, registered, data_coding = data[pos], data[pos + 1], data[pos + 2]
    return DataSm(
        sequence_number=seq,
        service_type=service_type,
        source_addr_ton=source_ton,
        source_addr_npi=source_npi,
        source_addr=source_addr,
        dest_addr_ton=dest_ton,
        dest_addr_npi=dest_npi,
        destination_addr=destination_addr,
        esm_class=esm_class,
        registered_delivery=registered,
        data_coding=data_coding,
        tlvs=_tail(data, pos + 3),
    )


def _decode_bind(
    cls: type[BindTransmitter | BindReceiver | BindTransceiver], seq: int, data: bytes
) -> Pdu:
    system_id, pos = _cstr(data, 16, 16, "system_id", S.ESME_RINVSYSID)
    password, pos = _cstr(data, pos, 9, "password", S.ESME_RINVPASWD)
    system_type, pos = _cstr(data, pos, 13, "system_type", S.ESME_RINVSYSTYP)
    version, ton, npi = data[pos], data[pos + 1], data[pos + 2]
    address_range, pos = _cstr(data, pos + 3, 41, "address_range", S.ESME_RBINDFAIL)
    return cls(
        sequence_number=seq,
        system_id=system_id,
        password=password,
        system_type=system_type,
        interface_version=version,
        addr_ton=ton,
        addr_npi=npi,
        address_range=address_range,
    )


def _decode_alert(seq: int, data: bytes) -> AlertNotification:
    source_ton, source_npi = data[16], data[17]
    source_addr, pos = _cstr(data, 18, 65, "source_addr", S.ESME_RINVSRCADR)
    esme_ton, esme_npi = data[pos], data[pos + 1]
    esme_addr, pos = _cstr(data, pos + 2, 65, "esme_addr", S.ESME_RINVDSTADR)
    return AlertNotification(
        sequence_number=seq,
        source_addr_ton=source_ton,
        source_addr_npi=source_npi,
        source_addr=source_addr,
        esme_addr_ton=esme_ton,
        esme_addr_npi=esme_npi,
        esme_addr=esme_addr,
        tlvs=_tail(data, pos),
    )


def _decode_outbind(seq: int, data: bytes) -> Outbind:
    system_id, pos = _cstr(data, 16, 16, "system_id", S.ESME_RINVSYSID)
    password, pos = _cstr(data, pos, 9, "password", S.ESME_RINVPASWD)
    return Outbind(sequence_number=seq, system_id=system_id, password=password)


def _decode_id_resp(
    cls: type[SubmitSmResp | DeliverSmResp | DataSmResp], status: int, seq: int, data: bytes
) -> Pdu:
    """A response whose body is a message_id, absent altogether when refused."""
    if len(data) == HEADER_SIZE:
        return cls(sequence_number=seq, command_status=status)
    message_id, pos = _cstr(data, 16, 65, "message_id", S.ESME_RINVMSGID)
    if cls is DataSmResp:
        return DataSmResp(
            sequence_number=seq, command_status=status, message_id=message_id, tlvs=_tail(data, pos)
        )
    return cls(sequence_number=seq, command_status=status, message_id=message_id)


def _decode_bind_resp(
    cls: type[BindTransmitterResp | BindReceiverResp | BindTransceiverResp],
    status: int,
    seq: int,
    data: bytes,
) -> Pdu:
    """A bind response: the SMSC's system_id and TLVs, absent altogether when refused."""
    if len(data) == HEADER_SIZE:
        return cls(sequence_number=seq, command_status=status)
    system_id, pos = _cstr(data, 16, 16, "system_id", S.ESME_RINVSYSID)
    return cls(
        sequence_number=seq, command_status=status, system_id=system_id, tlvs=_tail(data, pos)
    )


_Decoder = Callable[[int, int, bytes], Pdu]
READERS: Final[dict[int, _Decoder]] = {
    CommandId.SUBMIT_SM: lambda st, seq, d: _decode_sm(SubmitSm, seq, d),
    CommandId.DELIVER_SM: lambda st, seq, d: _decode_sm(DeliverSm, seq, d),
    CommandId.SUBMIT_SM_RESP: lambda st, seq, d: _decode_id_resp(SubmitSmResp, st, seq, d),
    CommandId.DELIVER_SM_RESP: lambda st, seq, d: _decode_id_resp(DeliverSmResp, st, seq, d),
    CommandId.DATA_SM: lambda st, seq, d: _decode_data_sm(seq, d),
    CommandId.DATA_SM_RESP: lambda st, seq, d: _decode_id_resp(DataSmResp, st, seq, d),
    CommandId.ENQUIRE_LINK: lambda st, seq, d: EnquireLink(sequence_number=seq),
    CommandId.ENQUIRE_LINK_RESP: lambda st, seq, d: EnquireLinkResp(
        sequence_number=seq, command_status=st
    ),
    CommandId.GENERIC_NACK: lambda st, seq, d: GenericNack(sequence_number=seq, command_status=st),
    CommandId.UNBIND: lambda st, seq, d: Unbind(sequence_number=seq),
    CommandId.UNBIND_RESP: lambda st, seq, d: UnbindResp(sequence_number=seq, command_status=st),
    CommandId.BIND_TRANSMITTER: lambda st, seq, d: _decode_bind(BindTransmitter, seq, d),
    CommandId.BIND_RECEIVER: lambda st, seq, d: _decode_bind(BindReceiver, seq, d),
    CommandId.BIND_TRANSCEIVER: lambda st, seq, d: _decode_bind(BindTransceiver, seq, d),
    CommandId.OUTBIND: lambda st, seq, d: _decode_outbind(seq, d),
    CommandId.ALERT_NOTIFICATION: lambda st, seq, d: _decode_alert(seq, d),
    CommandId.BIND_TRANSMITTER_RESP: lambda st, seq, d: _decode_bind_resp(
        BindTransmitterResp, st, seq, d
    ),
    CommandId.BIND_RECEIVER_RESP: lambda st, seq, d: _decode_bind_resp(
        BindReceiverResp, st, seq, d
    ),
    CommandId.BIND_TRANSCEIVER_RESP: lambda st, seq, d: _decode_bind_resp(
        BindTransceiverResp, st, seq, d
    ),
}
