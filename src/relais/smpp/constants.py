"""
The numbers of SMPP 3.4: command ids, command_status codes, address and coding values.

Every table is an `IntEnum`, so a value read off the wire compares equal to its member while the
decoder keeps plain ints (converting on each decode would cost time for nothing). Names follow
the specification (section 5), so `CommandStatus.ESME_RTHROTTLED` reads as in a carrier's
documentation. SMPP 5.0 spellings of the TLV errors are kept as aliases.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "GENERIC_NACK_ID",
    "INTERFACE_VERSION",
    "RESPONSE_BIT",
    "TEMPORARY_STATUSES",
    "CommandId",
    "CommandStatus",
    "DataCoding",
    "EsmClass",
    "MessageState",
    "Npi",
    "RegisteredDelivery",
    "Ton",
    "is_temporary",
    "status_name",
]

RESPONSE_BIT: Final = 0x80000000
GENERIC_NACK_ID: Final = 0x80000000
INTERFACE_VERSION: Final = 0x34


class CommandId(enum.IntEnum):
    GENERIC_NACK = 0x80000000
    BIND_RECEIVER = 0x00000001
    BIND_RECEIVER_RESP = 0x80000001
    BIND_TRANSMITTER = 0x00000002
    BIND_TRANSMITTER_RESP = 0x80000002
    QUERY_SM = 0x00000003
    QUERY_SM_RESP = 0x80000003
    SUBMIT_SM = 0x00000004
    SUBMIT_SM_RESP = 0x80000004
    DELIVER_SM = 0x00000005
    DELIVER_SM_RESP = 0x80000005
    UNBIND = 0x00000006
    UNBIND_RESP = 0x80000006
    REPLACE_SM = 0x00000007
    REPLACE_SM_RESP = 0x80000007
    CANCEL_SM = 0x00000008
    CANCEL_SM_RESP = 0x80000008
    BIND_TRANSCEIVER = 0x00000009
    BIND_TRANSCEIVER_RESP = 0x80000009
    OUTBIND = 0x0000000B
    ENQUIRE_LINK = 0x00000015
    ENQUIRE_LINK_RESP = 0x80000015
    SUBMIT_MULTI = 0x00000021
    SUBMIT_MULTI_RESP = 0x80000021
    ALERT_NOTIFICATION = 0x00000102
    DATA_SM = 0x00000103
    DATA_SM_RESP = 0x80000103


class CommandStatus(enum.IntEnum):
    """command_status values of SMPP 3.4 section 5.1.3 (the docstring of each is its meaning)."""

    ESME_ROK = 0x00
    ESME_RINVMSGLEN = 0x01
    ESME_RINVCMDLEN = 0x02
    ESME_RINVCMDID = 0x03
    ESME_RINVBNDSTS = 0x04
    ESME_RALYBND = 0x05
    ESME_RINVPRTFLG = 0x06
    ESME_RINVREGDLVFLG = 0x07
    ESME_RSYSERR = 0x08
    ESME_RINVSRCADR = 0x0A
    ESME_RINVDSTADR = 0x0B
    ESME_RINVMSGID = 0x0C
    ESME_RBINDFAIL = 0x0D
    ESME_RINVPASWD = 0x0E
    ESME_RINVSYSID = 0x0F
    ESME_RCANCELFAIL = 0x11
    ESME_RREPLACEFAIL = 0x13
    ESME_RMSGQFUL = 0x14
    ESME_RINVSERTYP = 0x15
    ESME_RINVNUMDESTS = 0x33
    ESME_RINVDLNAME = 0x34
    ESME_RINVDESTFLAG = 0x40
    ESME_RINVSUBREP = 0x42
    ESME_RINVESMCLASS = 0x43
    ESME_RCNTSUBDL = 0x44
    ESME_RSUBMITFAIL = 0x45
    ESME_RINVSRCTON = 0x48
    ESME_RINVSRCNPI = 0x49
    ESME_RINVDSTTON = 0x50
    ESME_RINVDSTNPI = 0x51
    ESME_RINVSYSTYP = 0x53
    ESME_RINVREPFLAG = 0x54
    ESME_RINVNUMMSGS = 0x55
    ESME_RTHROTTLED = 0x58
    ESME_RINVSCHED = 0x61
    ESME_RINVEXPIRY = 0x62
    ESME_RINVDFTMSGID = 0x63
    ESME_RX_T_APPN = 0x64
    ESME_RX_P_APPN = 0x65
    ESME_RX_R_APPN = 0x66
    ESME_RQUERYFAIL = 0x67
    ESME_RINVOPTPARSTREAM = 0xC0
    ESME_ROPTPARNOTALLWD = 0xC1
    ESME_RINVPARLEN = 0xC2
    ESME_RMISSINGOPTPARAM = 0xC3
    ESME_RINVOPTPARAMVAL = 0xC4
    ESME_RDELIVERYFAILURE = 0xFE
    ESME_RUNKNOWNERR = 0xFF
    # SMPP 5.0 names of the same codes, which newer carrier documents use.
    ESME_RINVTLVSTREAM = 0xC0
    ESME_RTLVNOTALLWD = 0xC1
    ESME_RINVTLVLEN = 0xC2
    ESME_RMISSINGTLV = 0xC3
    ESME_RINVTLVVAL = 0xC4


_DESCRIPTIONS: Final = {
    0x00: "No error",
    0x01: "Message length is invalid",
    0x02: "Command length is invalid",
    0x03: "Invalid command id",
    0x04: "Incorrect bind status for given command",
    0x05: "ESME already in bound state",
    0x06: "Invalid priority flag",
    0x07: "Invalid registered delivery flag",
    0x08: "System error",
    0x0A: "Invalid source address",
    0x0B: "Invalid destination address",
    0x0C: "Message id is invalid",
    0x0D: "Bind failed",
    0x0E: "Invalid password",
    0x0F: "Invalid system id",
    0x11: "cancel_sm failed",
    0x13: "replace_sm failed",
    0x14: "Message queue full",
    0x15: "Invalid service type",
    0x33: "Invalid number of destinations",
    0x34: "Invalid distribution list name",
    0x40: "Destination flag is invalid (submit_multi)",
    0x42: "Invalid submit with replace request",
    0x43: "Invalid esm_class field data",
    0x44: "Cannot submit to distribution list",
    0x45: "submit_sm or submit_multi failed",
    0x48: "Invalid source address TON",
    0x49: "Invalid source address NPI",
    0x50: "Invalid destination address TON",
    0x51: "Invalid destination address NPI",
    0x53: "Invalid system_type field",
    0x54: "Invalid replace_if_present flag",
    0x55: "Invalid number of messages",
    0x58: "Throttling error (ESME has exceeded allowed message limits)",
    0x61: "Invalid scheduled delivery time",
    0x62: "Invalid message validity period (expiry time)",
    0x63: "Predefined message invalid or not found",
    0x64: "ESME receiver temporary app error code",
    0x65: "ESME receiver permanent app error code",
    0x66: "ESME receiver reject message error code",
    0x67: "query_sm request failed",
    0xC0: "Error in the optional part of the PDU body",
    0xC1: "Optional parameter not allowed",
    0xC2: "Invalid parameter length",
    0xC3: "Expected optional parameter missing",
    0xC4: "Invalid optional parameter value",
    0xFE: "Delivery failure (used for data_sm_resp)",
    0xFF: "Unknown error",
}

# Kannel's reading of carrier errors, which DESIGN.md adopts: these four mean "try again later",
# every other non-zero status is a rejection of the message.
TEMPORARY_STATUSES: Final = frozenset(
    {
        CommandStatus.ESME_RMSGQFUL,
        CommandStatus.ESME_RTHROTTLED,
        CommandStatus.ESME_RX_T_APPN,
        CommandStatus.ESME_RSYSERR,
    }
)


def status_name(status: int) -> str:
    """`ESME_RTHROTTLED (0x00000058): Throttling error ...`, also for codes outside the table."""
    try:
        name = CommandStatus(status).name
    except ValueError:
        name = "reserved or vendor-specific"
    description = _DESCRIPTIONS.get(status, "no description in SMPP 3.4")
    return f"{name} (0x{status:08X}): {description}"


def is_temporary(status: int) -> bool:
    """Whether a submit refused with `status` should be retried later rather than failed."""
    return status in TEMPORARY_STATUSES


class Ton(enum.IntEnum):
    """Type of number (SMPP 3.4 section 5.2.5)."""

    UNKNOWN = 0
    INTERNATIONAL = 1
    NATIONAL = 2
    NETWORK_SPECIFIC = 3
    SUBSCRIBER_NUMBER = 4
    ALPHANUMERIC = 5
    ABBREVIATED = 6


class Npi(enum.IntEnum):
    """Numbering plan indicator (SMPP 3.4 section 5.2.6)."""

    UNKNOWN = 0
    ISDN = 1  # E.163 / E.164
    DATA = 3  # X.121
    TELEX = 4  # F.69
    LAND_MOBILE = 6  # E.212
    NATIONAL = 8
    PRIVATE = 9
    ERMES = 10
    INTERNET = 14  # IP
    WAP = 18  # WAP client id


class EsmClass(enum.IntFlag):
    """esm_class bits (SMPP 3.4 section 5.2.12): mode in bits 0-1, type in 2-5, GSM in 6-7."""

    DEFAULT = 0x00
    DATAGRAM_MODE = 0x01
    FORWARD_MODE = 0x02
    STORE_AND_FORWARD_MODE = 0x03
    DELIVERY_RECEIPT = 0x04  # SMSC delivery receipt (deliver_sm, data_sm)
    DELIVERY_ACK = 0x08
    MANUAL_ACK = 0x10
    CONVERSATION_ABORT = 0x18
    INTERMEDIATE_NOTIFICATION = 0x20
    UDHI = 0x40  # short_message starts with a user data header
    REPLY_PATH = 0x80
    MODE_MASK = 0x03
    TYPE_MASK = 0x3C


class DataCoding(enum.IntEnum):
    """data_coding values of SMPP 3.4 section 5.2.19 (0 is the SMSC default, GSM 03.38)."""

    DEFAULT = 0x00
    IA5 = 0x01
    BINARY = 0x02
    LATIN1 = 0x03
    BINARY_ALT = 0x04
    JIS = 0x05
    CYRILLIC = 0x06
    HEBREW = 0x07
    UCS2 = 0x08
    PICTOGRAM = 0x09
    ISO_2022_JP = 0x0A
    EXTENDED_KANJI = 0x0D
    KS_C_5601 = 0x0E


class RegisteredDelivery(enum.IntFlag):
    """registered_delivery bits 0-1: which SMSC delivery receipts are asked for."""

    NONE = 0x00
    SUCCESS_OR_FAILURE = 0x01
    FAILURE = 0x02
    INTERMEDIATE = 0x10


class MessageState(enum.IntEnum):
    """message_state TLV and query_sm_resp values (SMPP 3.4 section 5.2.28)."""

    ENROUTE = 1
    DELIVERED = 2
    EXPIRED = 3
    DELETED = 4
    UNDELIVERABLE = 5
    ACCEPTED = 6
    UNKNOWN = 7
    REJECTED = 8
