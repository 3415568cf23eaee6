"""
Relais's SMPP 3.4 core. It contains no networking code at all (after h11): bytes go in,
PDUs and events come out, and bytes to write come back from `send`. The asyncio ESME client
and the carrier simulator drive it; neither lives here.

    conn = SmppConnection(Role.ESME)
    sock.write(conn.send(BindTransceiver(system_id="relais", password="secret")))
    conn.receive_data(await sock.read())
    while (event := conn.next_event()) is not NEED_DATA: ...

Modules: `constants` (ids, statuses, TON/NPI, esm_class, data_coding), `pdu` (frozen
dataclasses), `tlv` (optional parameters), `codec` (bytes <-> PDU), `state` (the session
table), `connection` (the session), `receipts` (delivery receipt text), `segmentation` (long
messages out and in), `errors`.
"""

from __future__ import annotations

from relais.smpp.codec import DEFAULT_MAX_COMMAND_LENGTH, PduReader, decode, encode
from relais.smpp.connection import SmppConnection
from relais.smpp.constants import (
    CommandId,
    CommandStatus,
    DataCoding,
    EsmClass,
    MessageState,
    Npi,
    RegisteredDelivery,
    Ton,
    is_temporary,
    status_name,
)
from relais.smpp.errors import (
    LocalProtocolError,
    ProtocolError,
    RemoteProtocolError,
    SmppError,
)
from relais.smpp.events import NEED_DATA, ConnectionClosed, NeedData, OutOfState
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
    Request,
    Response,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
    UnknownPdu,
    response_for,
)
from relais.smpp.receipts import (
    DeliveryReceipt,
    format_receipt,
    normalize_message_id,
    parse_receipt,
    receipt_from_pdu,
)
from relais.smpp.segmentation import (
    Fragment,
    Reassembler,
    SubmitPart,
    fragment_of,
    message_text,
    split_for_submit,
)
from relais.smpp.state import Role, State
from relais.smpp.tlv import Tag, Tlvs, make_tlvs

__all__ = [
    "DEFAULT_MAX_COMMAND_LENGTH",
    "NEED_DATA",
    "AlertNotification",
    "BindReceiver",
    "BindReceiverResp",
    "BindTransceiver",
    "BindTransceiverResp",
    "BindTransmitter",
    "BindTransmitterResp",
    "CommandId",
    "CommandStatus",
    "ConnectionClosed",
    "DataCoding",
    "DataSm",
    "DataSmResp",
    "DeliverSm",
    "DeliverSmResp",
    "DeliveryReceipt",
    "EnquireLink",
    "EnquireLinkResp",
    "EsmClass",
    "Fragment",
    "GenericNack",
    "LocalProtocolError",
    "MessageState",
    "NeedData",
    "Npi",
    "OutOfState",
    "Outbind",
    "Pdu",
    "PduReader",
    "ProtocolError",
    "Reassembler",
    "RegisteredDelivery",
    "RemoteProtocolError",
    "Request",
    "Response",
    "Role",
    "SmppConnection",
    "SmppError",
    "State",
    "SubmitPart",
    "SubmitSm",
    "SubmitSmResp",
    "Tag",
    "Tlvs",
    "Ton",
    "Unbind",
    "UnbindResp",
    "UnknownPdu",
    "decode",
    "encode",
    "format_receipt",
    "fragment_of",
    "is_temporary",
    "make_tlvs",
    "message_text",
    "normalize_message_id",
    "parse_receipt",
    "receipt_from_pdu",
    "response_for",
    "split_for_submit",
    "status_name",
]
