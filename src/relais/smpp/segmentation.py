"""
Long messages: cut a text into submit_sm parts, and put inbound parts back together.

Outbound, the cut is `relais.core.encoding.segment`'s, so a message is sent in exactly the
parts the customer paid for. Each part becomes one submit_sm: GSM-7 as unpacked septets (one
per octet, what data_coding 0 means in SMPP) or UCS-2 as UTF-16-BE (data_coding 8), and the
parts are tied together either by a user data header (`udh`: the 8-bit concatenation element
00 03 ref total seq, with the UDHI bit in esm_class) or by the sar_* TLVs (`sar`). With
`payload` a long text goes whole in one message_payload TLV and the SMSC cuts it.

Inbound, parts arrive in any order, by UDH (8- or 16-bit references) or SAR TLVs. The
`Reassembler` holds them per (source, reference) and returns the text once all are there.
It reads no clock: `add` and `expire` are told the time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from relais.core.encoding import (
    Encoding,
    decode_gsm7,
    encode_gsm7,
    encode_ucs2,
    segment,
)
from relais.core.errors import InvalidField
from relais.smpp.constants import DataCoding, EsmClass
from relais.smpp.pdu import DataSm, DeliverSm, SubmitSm
from relais.smpp.tlv import make_tlvs, no_tlvs

__all__ = [
    "Fragment",
    "Reassembler",
    "SubmitPart",
    "decode_text",
    "fragment_of",
    "message_text",
    "split_for_submit",
    "split_udh",
]

MAX_PARTS: Final = 255  # one octet counts the parts, in the UDH and in sar_total_segments
_IE_CONCAT_8: Final = 0x00
_IE_CONCAT_16: Final = 0x08


@dataclass(frozen=True, slots=True)
class SubmitPart:
    """The message fields of one submit_sm (addresses and the rest are the caller's)."""

    data_coding: int
    esm_class: int
    short_message: bytes
    tlvs: Mapping[int, bytes] = field(default_factory=no_tlvs, hash=False)


def split_for_submit(
    text: str,
    *,
    force_unicode: bool = False,
    method: Literal["udh", "sar", "payload"] = "udh",
    reference: int,
) -> list[SubmitPart]:
    """The submit_sm parts of `text`, as many as `segment` counts (one with `payload`).

    `reference` ties the parts together: its low 8 bits in a UDH, 16 bits in sar_msg_ref_num.
    A text that fits one SMS is one plain part whatever the method.

    Raises:
        InvalidField: the text needs more than 255 parts.
        ValueError: `method` is none of the three.
    """
    if method not in ("udh", "sar", "payload"):
        raise ValueError(f"unknown concatenation method {method!r}")
    cut = segment(text, force_unicode=force_unicode)
    if cut.encoding is Encoding.GSM7:
        data_coding, encoder = DataCoding.DEFAULT, encode_gsm7
    else:
        data_coding, encoder = DataCoding.UCS2, encode_ucs2
    total = len(cut.parts)
    if total == 1:
        return [SubmitPart(data_coding, 0, encoder(text))]
    if method == "payload":
        payload = make_tlvs(message_payload=encoder(text))
        return [SubmitPart(data_coding, 0, b"", payload)]
    if total > MAX_PARTS:
        raise InvalidField(f"Text needs {total} SMS parts; at most {MAX_PARTS} can be linked")
    bodies = [encoder(chunk) for chunk in cut.parts]
    return linked_parts(bodies, data_coding=data_coding, method=method, reference=reference)


def linked_parts(
    bodies: Sequence[bytes],
    *,
    data_coding: int,
    method: Literal["udh", "sar"],
    reference: int,
) -> list[SubmitPart]:
    """Encoded pieces of one long message as parts that say they belong together: a UDH
    concatenation header (8-bit reference) or the sar_* TLVs (16-bit reference)."""
    total = len(bodies)
    parts = []
    for seqnum, body in enumerate(bodies, start=1):
        if method == "udh":
            udh = bytes((5, _IE_CONCAT_8, 3, reference & 0xFF, total, seqnum))
            parts.append(SubmitPart(data_coding, EsmClass.UDHI, udh + body))
        else:
            sar = make_tlvs(
                sar_msg_ref_num=reference & 0xFFFF,
                sar_total_segments=total,
                sar_segment_seqnum=seqnum,
            )
            parts.append(SubmitPart(data_coding, 0, body, sar))
    return parts


# ------------------------------------------------------------------------------------ inbound


def decode_text(data: bytes, data_coding: int) -> str:
    """The text of message octets, leniently: what cannot be read is replaced, not raised.

    data_coding 0 is GSM-7, yet some SMSCs send Latin-1 under it: octets above 0x7F give
    that away. 0x10-0x3F and 0xF0-0xFF are GSM 03.38 coding groups with the alphabet in bits.
    """
    if 0x10 <= data_coding <= 0x3F:
        alphabet = (data_coding >> 2) & 0x03  # 0 GSM-7, 1 8-bit, 2 UCS-2
    elif data_coding >= 0xF0:
        alphabet = 1 if data_coding & 0x04 else 0
    elif data_coding == DataCoding.UCS2:
        alphabet = 2
    elif data_coding == DataCoding.DEFAULT:
        alphabet = 0
    else:
        alphabet = 1  # IA5/ASCII, Latin-1, binary: Latin-1 reads them all without loss
    if alphabet == 2:
        return data.decode("utf-16-be", "replace")
    if alphabet == 0:
        try:
            return decode_gsm7(data)
        except InvalidField:
            pass
    return data.decode("latin-1")


def split_udh(data: bytes) -> tuple[bytes, bytes]:
    """(user data header with its length octet, the rest); ("", data) when it cannot be one."""
    if not data or data[0] + 1 > len(data):
        return b"", data
    end = data[0] + 1
    return data[:end], data[end:]


@dataclass(frozen=True, slots=True)
class Fragment:
    """One part of a concatenated message: which message, which part, and its octets."""

    reference: int
    total: int
    seqnum: int
    payload: bytes  # the user data of this part, without any UDH


def _concat_ie(udh: bytes) -> tuple[int, int, int] | None:
    pos = 1
    while pos + 2 <= len(udh):
        ie, length = udh[pos], udh[pos + 1]
        value = udh[pos + 2 : pos + 2 + length]
        if len(value) < length:
            return None
        if ie == _IE_CONCAT_8 and length == 3:
            return value[0], value[1], value[2]
        if ie == _IE_CONCAT_16 and length == 4:
            return (value[0] << 8) | value[1], value[2], value[3]
        pos += 2 + length
    return None


def fragment_of(pdu: SubmitSm | DeliverSm | DataSm) -> Fragment | None:
    """The concatenation data of `pdu` (SAR TLVs first, then UDH), or None for a whole SMS.

    A malformed concatenation (part 0, part beyond the total) reads as a whole SMS: better a
    message shown as is than one lost waiting for parts that cannot come.
    """
    data = pdu.user_data
    ref, total, seqnum = pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum
    if ref is not None and total is not None and seqnum is not None:
        payload = split_udh(data)[1] if pdu.esm_class & EsmClass.UDHI else data
    elif pdu.esm_class & EsmClass.UDHI:
        udh, payload = split_udh(data)
        found = _concat_ie(udh)
        if found is None:
            return None
        ref, total, seqnum = found
    else:
        return None
    if not 1 <= seqnum <= total:
        return None
    return Fragment(ref, total, seqnum, payload)


def message_text(pdu: SubmitSm | DeliverSm | DataSm) -> str:
    """The text of one PDU, its UDH (if any) left out."""
    data = pdu.user_data
    if pdu.esm_class & EsmClass.UDHI:
        data = split_udh(data)[1]
    return decode_text(data, pdu.data_coding)


@dataclass(slots=True)
class _Pending:
    total: int
    data_coding: int
    first_seen: float
    parts: dict[int, bytes] = field(default_factory=dict)


class Reassembler:
    """Inbound concatenated messages waiting for their other parts.

    `source` is the caller's key for the sender; include the destination in it when several
    of our numbers receive, so two conversations never mix their references.
    """

    def __init__(self) -> None:
        self._pending: dict[tuple[str, int], _Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def add(self, *, source: str, fragment: Fragment, data_coding: int, now: float) -> str | None:
        """Keep `fragment`; return the whole text when it was the last part missing.

        A part repeated replaces the earlier copy (a retransmission). A part whose total
        differs from the parts held means the sender reused the reference: the old parts are
        dropped and this one starts a new message.
        """
        key = (source, fragment.reference)
        pending = self._pending.get(key)
        if pending is None or pending.total != fragment.total:
            pending = _Pending(fragment.total, data_coding, now)
            self._pending[key] = pending
        pending.parts[fragment.seqnum] = fragment.payload
        if len(pending.parts) < pending.total:
            return None
        del self._pending[key]
        # Decoded as a whole: a sender may split an escape or a surrogate pair between parts.
        data = b"".join(pending.parts[n] for n in range(1, pending.total + 1))
        return decode_text(data, pending.data_coding)

    def expire(self, *, older_than: float) -> list[tuple[str, int, str]]:
        """Drop messages whose first part came before `older_than`.

        Returns (source, reference, text of the parts that did come, in order) for each, so
        the caller may still deliver what it has.
        """
        expired = []
        for key, pending in list(self._pending.items()):
            if pending.first_seen < older_than:
                del self._pending[key]
                data = b"".join(pending.parts[n] for n in sorted(pending.parts))
                expired.append((key[0], key[1], decode_text(data, pending.data_coding)))
        return expired
