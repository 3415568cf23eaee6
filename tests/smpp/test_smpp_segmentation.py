from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relais.core.encoding import encode_gsm7, segment
from relais.core.errors import InvalidField
from relais.smpp import DeliverSm, SubmitSm, Tag, make_tlvs
from relais.smpp.segmentation import (
    Fragment,
    Reassembler,
    SubmitPart,
    decode_text,
    fragment_of,
    message_text,
    split_for_submit,
)

GSM_TEXT = "Bonjour Jean, votre rendez-vous est confirmé à 10h30. " * 4  # 220 chars, GSM-7


def test_segmentation_single_gsm_part_is_plain_unpacked_septets() -> None:
    assert split_for_submit("Hello @ £5", reference=1) == [
        SubmitPart(data_coding=0, esm_class=0, short_message=b"Hello \x00 \x015")
    ]


def test_segmentation_single_ucs2_part_is_big_endian() -> None:
    assert split_for_submit("Привет", reference=1) == [
        SubmitPart(data_coding=8, esm_class=0, short_message="Привет".encode("utf-16-be"))
    ]
    (forced,) = split_for_submit("Hi", force_unicode=True, reference=1)
    assert (forced.data_coding, forced.short_message) == (8, b"\x00H\x00i")


def test_segmentation_udh_parts_carry_exact_header() -> None:
    parts = split_for_submit(GSM_TEXT, reference=0x1A7, method="udh")
    assert len(parts) == 2
    assert [p.short_message[:6] for p in parts] == [
        bytes.fromhex("050003a70201"),  # reference keeps its low 8 bits
        bytes.fromhex("050003a70202"),
    ]
    assert {(p.esm_class, p.data_coding) for p in parts} == {(0x40, 0)}
    assert len(parts[0].short_message) == 6 + 153
    assert parts[0].short_message[6:] == encode_gsm7(GSM_TEXT[:153])
    assert parts[0].short_message[6 + 43] == 0x05  # "é" of "confirmé": one septet, unpacked


def test_segmentation_ucs2_udh_parts_hold_67_units() -> None:
    text = "Привет! " * 20  # 160 UCS-2 units -> 3 parts
    parts = split_for_submit(text, reference=9)
    assert [len(p.short_message) for p in parts] == [6 + 134, 6 + 134, 6 + 52]
    assert parts[2].short_message[:6] == bytes.fromhex("050003090303")
    assert all(p.data_coding == 8 for p in parts)


def test_segmentation_sar_parts_carry_tlvs() -> None:
    parts = split_for_submit(GSM_TEXT, reference=0x1234, method="sar")
    assert [dict(p.tlvs) for p in parts] == [
        {
            Tag.SAR_MSG_REF_NUM: b"\x12\x34",
            Tag.SAR_TOTAL_SEGMENTS: b"\x02",
            Tag.SAR_SEGMENT_SEQNUM: b"\x01",
        },
        {
            Tag.SAR_MSG_REF_NUM: b"\x12\x34",
            Tag.SAR_TOTAL_SEGMENTS: b"\x02",
            Tag.SAR_SEGMENT_SEQNUM: b"\x02",
        },
    ]
    assert all(p.esm_class == 0 for p in parts)
    assert len(parts[0].short_message) == 153


def test_segmentation_payload_sends_whole_text_once() -> None:
    (part,) = split_for_submit(GSM_TEXT, reference=1, method="payload")
    assert part.short_message == b""
    assert part.tlvs[Tag.MESSAGE_PAYLOAD] == encode_gsm7(GSM_TEXT)


def test_segmentation_never_splits_an_escape() -> None:
    text = "€" * 81  # 162 septets: 76 pairs then 5
    parts = split_for_submit(text, reference=3)
    assert [len(p.short_message) - 6 for p in parts] == [152, 10]
    assert all(p.short_message[-2] == 0x1B for p in parts)


def test_segmentation_refuses_more_than_255_parts() -> None:
    with pytest.raises(InvalidField):
        split_for_submit("x" * (153 * 256), reference=1)


def test_segmentation_refuses_unknown_method() -> None:
    with pytest.raises(ValueError):
        split_for_submit("short", reference=1, method="smoke-signals")  # type: ignore[arg-type]


@settings(max_examples=200)
@given(
    st.text(
        st.sampled_from([*"abc XYZ 0123 €{}[]^~|\\ é à Ç ΔΩ", "Ж", "😀", "中"]),
        max_size=700,
    ),
    st.sampled_from(["udh", "sar"]),
    st.booleans(),
)
def test_segmentation_part_count_equals_billed_segments(
    text: str, method: str, force_unicode: bool
) -> None:
    parts = split_for_submit(text, method=method, reference=7, force_unicode=force_unicode)  # type: ignore[arg-type]
    assert len(parts) == segment(text, force_unicode=force_unicode).segment_count
    assert all(len(p.short_message) <= 160 for p in parts)
    pdus = [
        DeliverSm(
            source_addr="33612345678",
            esm_class=p.esm_class,
            data_coding=p.data_coding,
            short_message=p.short_message,
            tlvs=p.tlvs,
        )
        for p in parts
    ]
    if len(pdus) == 1:
        assert message_text(pdus[0]) == text
        return
    reassembler = Reassembler()
    random.Random(len(text)).shuffle(pdus)
    results = []
    for pdu in pdus:
        fragment = fragment_of(pdu)
        assert fragment is not None
        results.append(
            reassembler.add(
                source=pdu.source_addr, fragment=fragment, data_coding=pdu.data_coding, now=0.0
            )
        )
    assert results[-1] == text
    assert results[:-1] == [None] * (len(pdus) - 1)
    assert len(reassembler) == 0


def udh_part(ref: int, total: int, seq: int, body: bytes, *, wide: bool = False) -> DeliverSm:
    if wide:
        udh = bytes((6, 0x08, 4, ref >> 8, ref & 0xFF, total, seq))
    else:
        udh = bytes((5, 0x00, 3, ref, total, seq))
    return DeliverSm(source_addr="336", esm_class=0x40, short_message=udh + body)


def feed(reassembler: Reassembler, pdu: DeliverSm, now: float = 0.0) -> str | None:
    fragment = fragment_of(pdu)
    assert fragment is not None
    return reassembler.add(
        source=pdu.source_addr, fragment=fragment, data_coding=pdu.data_coding, now=now
    )


def test_segmentation_reassembles_out_of_order_udh8() -> None:
    reassembler = Reassembler()
    assert feed(reassembler, udh_part(5, 3, 3, b"!")) is None
    assert feed(reassembler, udh_part(5, 3, 1, b"Hello ")) is None
    assert feed(reassembler, udh_part(5, 3, 2, b"world")) == "Hello world!"


def test_segmentation_reassembles_udh16_with_other_ies_first() -> None:
    port_ie = bytes((0x05, 4, 0x0B, 0x84, 0x23, 0xF0))
    first = DeliverSm(
        source_addr="336",
        esm_class=0x40,
        short_message=bytes((12,)) + port_ie + bytes((0x08, 4, 0x12, 0x34, 2, 1)) + b"ab",
    )
    assert fragment_of(first) == Fragment(0x1234, 2, 1, b"ab")
    reassembler = Reassembler()
    assert feed(reassembler, udh_part(0x1234, 2, 2, b"cd", wide=True)) is None
    assert feed(reassembler, first) == "abcd"


def test_segmentation_reassembles_sar_parts() -> None:
    def part(seq: int, body: bytes) -> DeliverSm:
        tlvs = make_tlvs(sar_msg_ref_num=300, sar_total_segments=2, sar_segment_seqnum=seq)
        return DeliverSm(source_addr="336", data_coding=8, short_message=body, tlvs=tlvs)

    reassembler = Reassembler()
    # the emoji's surrogate pair is split between the parts: decoding the whole keeps it
    emoji = "😀".encode("utf-16-be")
    assert feed(reassembler, part(2, emoji[2:] + "!".encode("utf-16-be"))) is None
    assert feed(reassembler, part(1, "Hi ".encode("utf-16-be") + emoji[:2])) == "Hi 😀!"


def test_segmentation_keeps_sources_and_references_apart() -> None:
    reassembler = Reassembler()
    assert feed(reassembler, udh_part(1, 2, 1, b"A1")) is None
    other = DeliverSm(
        source_addr="999", esm_class=0x40, short_message=b"\x05\x00\x03\x01\x02\x02B2"
    )
    assert feed(reassembler, other) is None
    assert feed(reassembler, udh_part(2, 2, 2, b"C2")) is None
    assert len(reassembler) == 3
    assert feed(reassembler, udh_part(1, 2, 2, b"A2")) == "A1A2"


def test_segmentation_repeated_part_replaces_and_reused_reference_restarts() -> None:
    reassembler = Reassembler()
    feed(reassembler, udh_part(7, 2, 1, b"old"))
    feed(reassembler, udh_part(7, 2, 1, b"new"))
    assert feed(reassembler, udh_part(7, 2, 2, b"!")) == "new!"
    feed(reassembler, udh_part(8, 3, 1, b"x"))
    feed(reassembler, udh_part(8, 2, 1, b"y"))  # same reference, other total: a new message
    assert feed(reassembler, udh_part(8, 2, 2, b"z")) == "yz"


def test_segmentation_expire_drops_stale_parts_with_their_text() -> None:
    reassembler = Reassembler()
    feed(reassembler, udh_part(1, 3, 3, b"end"), now=10.0)
    feed(reassembler, udh_part(1, 3, 1, b"start "), now=11.0)
    feed(reassembler, udh_part(2, 2, 1, b"fresh"), now=50.0)
    assert reassembler.expire(older_than=40.0) == [("336", 1, "start end")]
    assert len(reassembler) == 1
    assert reassembler.expire(older_than=40.0) == []


@pytest.mark.parametrize(
    "pdu",
    [
        DeliverSm(short_message=b"plain"),
        udh_part(1, 2, 0, b"zero"),
        udh_part(1, 2, 3, b"beyond"),
        DeliverSm(esm_class=0x40, short_message=bytes((4, 0x05, 2, 0, 1)) + b"no concat"),
        DeliverSm(esm_class=0x40, short_message=b"\x09\x00\x03"),  # header longer than data
    ],
)
def test_segmentation_whole_or_malformed_message_is_no_fragment(pdu: DeliverSm) -> None:
    assert fragment_of(pdu) is None


@pytest.mark.parametrize(
    ("data", "coding", "text"),
    [
        (b"Hello \x00", 0, "Hello @"),
        (b"caf\xe9", 0, "café"),  # Latin-1 under data_coding 0, as some SMSCs send
        (b"caf\xe9", 3, "café"),
        ("Жж".encode("utf-16-be"), 8, "Жж"),
        ("Жж".encode("utf-16-be"), 0x18, "Жж"),  # GSM 03.38 group: UCS-2, class 0
        (b"\x1b\x65", 0xF0, "€"),  # coding group F: GSM-7 with a message class
        (b"\xff", 0xF4, "ÿ"),  # coding group F: 8-bit
        (b"abc", 1, "abc"),
    ],
)
def test_segmentation_decode_text_by_data_coding(data: bytes, coding: int, text: str) -> None:
    assert decode_text(data, coding) == text


def test_segmentation_message_text_leaves_udh_out() -> None:
    pdu = SubmitSm(esm_class=0x40, short_message=bytes.fromhex("050003010101") + b"Hi")
    assert message_text(pdu) == "Hi"
