"""
Inbound SMS as a handset sends them: a text becomes one deliver_sm, or the concatenated
parts of a long message tied by a UDH or by SAR TLVs, in order or shuffled (networks do not
keep the order of parts, and Relais must put them back together anyway).

`parts` forces the number of parts, so a test can send a short text as three parts; without
it the text is cut where a phone would cut it (`relais.smpp.segmentation.split_for_submit`).
"""

from __future__ import annotations

import random
from typing import Final, Literal

from relais.core.encoding import Encoding, encode_gsm7, encode_ucs2, segment
from relais.smpp.constants import DataCoding, Npi, Ton
from relais.smpp.pdu import DeliverSm
from relais.smpp.segmentation import SubmitPart, linked_parts, split_for_submit

__all__ = ["address_fields", "mo_pdus"]

# Capacity of one part once the 6-octet UDH is taken: 153 septets, or 134 octets of UCS-2.
_GSM7_PART: Final = 153
_UCS2_PART_OCTETS: Final = 134


def address_fields(address: str) -> tuple[int, int, str]:
    """(TON, NPI, address): a number is international E.164, anything else alphanumeric."""
    digits = address[1:] if address.startswith("+") else address
    if digits.isascii() and digits.isdigit():
        return Ton.INTERNATIONAL, Npi.ISDN, digits
    return Ton.ALPHANUMERIC, Npi.UNKNOWN, address


def _forced_parts(
    text: str, count: int, method: Literal["udh", "sar"], reference: int
) -> list[SubmitPart]:
    if count < 1:
        raise ValueError(f"parts must be at least 1, not {count}")
    if len(text) < count:
        raise ValueError(f"a text of {len(text)} characters cannot make {count} parts")
    unicode = segment(text).encoding is Encoding.UCS2
    encoder = encode_ucs2 if unicode else encode_gsm7
    data_coding = DataCoding.UCS2 if unicode else DataCoding.DEFAULT
    if count == 1:
        return [SubmitPart(data_coding, 0, encoder(text))]
    size, extra = divmod(len(text), count)
    chunks, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        chunks.append(text[start:end])
        start = end
    bodies = [encoder(chunk) for chunk in chunks]
    if any(len(body) > (_UCS2_PART_OCTETS if unicode else _GSM7_PART) for body in bodies):
        raise ValueError(f"the text is too long to fit in {count} parts")
    return linked_parts(bodies, data_coding=data_coding, method=method, reference=reference)


def mo_pdus(
    *,
    source: str,
    destination: str,
    text: str,
    parts: int | None = None,
    shuffle: bool = False,
    method: Literal["udh", "sar"] = "udh",
    reference: int,
    rng: random.Random,
) -> list[DeliverSm]:
    """The deliver_sm PDUs (sequence_number 0) of one inbound SMS, in sending order.

    Raises:
        ValueError: `parts` cannot hold the text, or `method` is neither udh nor sar.
    """
    if method not in ("udh", "sar"):
        raise ValueError(f"method must be udh or sar, not {method!r}")
    if parts is None:
        cut = split_for_submit(text, method=method, reference=reference)
    else:
        cut = _forced_parts(text, parts, method, reference)
    source_ton, source_npi, source_addr = address_fields(source)
    dest_ton, dest_npi, dest_addr = address_fields(destination)
    pdus = [
        DeliverSm(
            source_addr_ton=source_ton,
            source_addr_npi=source_npi,
            source_addr=source_addr,
            dest_addr_ton=dest_ton,
            dest_addr_npi=dest_npi,
            destination_addr=dest_addr,
            esm_class=part.esm_class,
            data_coding=part.data_coding,
            short_message=part.short_message,
            tlvs=part.tlvs,
        )
        for part in cut
    ]
    if shuffle and len(pdus) > 1:
        ordered = list(pdus)
        rng.shuffle(pdus)
        if pdus == ordered:  # a shuffle may leave them in order; out of order was asked
            pdus.reverse()
    return pdus
