"""
Writers: one function per PDU body layout, PDU -> body bytes (the header is `codec.encode`'s).

Every C-octet string is checked against its SMPP 3.4 maximum and for an embedded NUL, which
would silently shift every later field for the reader. Integers out of range fail in
`bytes((...))` or `struct`, which `codec.encode` turns into a LocalProtocolError.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from relais.smpp.constants import CommandStatus as S
from relais.smpp.errors import LocalProtocolError
from relais.smpp.pdu import (
    BIND_RESPONSES,
    AlertNotification,
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Outbind,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
    UnknownPdu,
)
from relais.smpp.tlv import encode_tlvs

__all__ = ["MAX_SHORT_MESSAGE", "WRITERS"]

MAX_SHORT_MESSAGE: Final = 254


def _c(value: str, limit: int, field: str) -> bytes:
    """`value` as a C-octet string body (the caller adds the NUL)."""
    raw = value.encode("latin-1")
    if len(raw) >= limit or b"\0" in raw:
        # The value stays out of the message: it may be a password.
        raise LocalProtocolError(
            f"{field} must be under {limit} octets without NUL, got {len(raw)} octets",
            command_status_hint=S.ESME_RSYSERR,
        )
    return raw


def _encode_sm(p: SubmitSm | DeliverSm) -> bytes:
    sm = p.short_message
    if len(sm) > MAX_SHORT_MESSAGE:
        raise LocalProtocolError(
            f"short_message of {len(sm)} octets exceeds 254; use message_payload",
            command_status_hint=S.ESME_RINVMSGLEN,
        )
    return b"".join(
        (
            _c(p.service_type, 6, "service_type"),
            b"\0",
            bytes((p.source_addr_ton, p.source_addr_npi)),
            _c(p.source_addr, 21, "source_addr"),
            b"\0",
            bytes((p.dest_addr_ton, p.dest_addr_npi)),
            _c(p.destination_addr, 21, "destination_addr"),
            b"\0",
            bytes((p.esm_class, p.protocol_id, p.priority_flag)),
            _c(p.schedule_delivery_time, 17, "schedule_delivery_time"),
            b"\0",
            _c(p.validity_period, 17, "validity_period"),
            b"\0",
            bytes(
                (
                    p.registered_delivery,
                    p.replace_if_present_flag,
                    p.data_coding,
                    p.sm_default_msg_id,
                    len(sm),
                )
            ),
            sm,
            encode_tlvs(p.tlvs) if p.tlvs else b"",
        )
    )


def _encode_data_sm(p: DataSm) -> bytes:
    return b"".join(
        (
            _c(p.service_type, 6, "service_type"),
            b"\0",
            bytes((p.source_addr_ton, p.source_addr_npi)),
            _c(p.source_addr, 65, "source_addr"),
            b"\0",
            bytes((p.dest_addr_ton, p.dest_addr_npi)),
            _c(p.destination_addr, 65, "destination_addr"),
            b"\0",
            bytes((p.esm_class, p.registered_delivery, p.data_coding)),
            encode_tlvs(p.tlvs),
        )
    )


def _encode_bind(p: BindTransmitter) -> bytes:
    return b"".join(
        (
            _c(p.system_id, 16, "system_id"),
            b"\0",
            _c(p.password, 9, "password"),
            b"\0",
            _c(p.system_type, 13, "system_type"),
            b"\0",
            bytes((p.interface_version, p.addr_ton, p.addr_npi)),
            _c(p.address_range, 41, "address_range"),
            b"\0",
        )
    )


def _encode_alert(p: AlertNotification) -> bytes:
    return b"".join(
        (
            bytes((p.source_addr_ton, p.source_addr_npi)),
            _c(p.source_addr, 65, "source_addr"),
            b"\0",
            bytes((p.esme_addr_ton, p.esme_addr_npi)),
            _c(p.esme_addr, 65, "esme_addr"),
            b"\0",
            encode_tlvs(p.tlvs),
        )
    )


def _encode_id_resp(value: str, limit: int, field: str, status: int, tlvs: Any) -> bytes:
    # SMPP 3.4 sections 4.1.2 and 4.4.2: a refused bind or submit returns no body at all;
    # data_sm_resp follows the same rule unless it carries TLVs (delivery_failure_reason).
    if status and not value and not tlvs:
        return b""
    return _c(value, limit, field) + b"\0" + (encode_tlvs(tlvs) if tlvs else b"")


_Encoder = Callable[[Any], bytes]
WRITERS: Final[dict[type, _Encoder]] = {
    SubmitSm: _encode_sm,
    DeliverSm: _encode_sm,
    DataSm: _encode_data_sm,
    BindTransmitter: _encode_bind,
    BindReceiver: _encode_bind,
    BindTransceiver: _encode_bind,
    AlertNotification: _encode_alert,
    Outbind: lambda p: b"".join(
        (_c(p.system_id, 16, "system_id"), b"\0", _c(p.password, 9, "password"), b"\0")
    ),
    SubmitSmResp: lambda p: _encode_id_resp(p.message_id, 65, "message_id", p.command_status, None),
    DeliverSmResp: lambda p: _c(p.message_id, 65, "message_id") + b"\0",
    DataSmResp: lambda p: _encode_id_resp(p.message_id, 65, "message_id", p.command_status, p.tlvs),
    **{
        cls: lambda p: _encode_id_resp(p.system_id, 16, "system_id", p.command_status, p.tlvs)
        for cls in BIND_RESPONSES
    },
    EnquireLink: lambda p: b"",
    EnquireLinkResp: lambda p: b"",
    Unbind: lambda p: b"",
    UnbindResp: lambda p: b"",
    GenericNack: lambda p: b"",
    UnknownPdu: lambda p: bytes(p.body),
}
