"""(PDU, wire bytes) tables after h11: every case is decoded and encoded both ways.

The expected hex is written by hand from the SMPP 3.4 layouts (section 4): header
command_length, command_id, command_status, sequence_number, then the body fields in order.
"""

from __future__ import annotations

from typing import Any

import pytest

from relais.smpp import (
    NEED_DATA,
    AlertNotification,
    BindReceiver,
    BindReceiverResp,
    BindTransceiverResp,
    BindTransmitter,
    CommandStatus,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    LocalProtocolError,
    Outbind,
    Pdu,
    PduReader,
    ProtocolError,
    RemoteProtocolError,
    SubmitSm,
    SubmitSmResp,
    Tag,
    Unbind,
    UnbindResp,
    UnknownPdu,
    decode,
    encode,
    make_tlvs,
    response_for,
)

RELAIS = "52656c61697300"  # "Relais\0"
MSISDN = "333336313233343536373800"  # "33612345678\0"

SUBMIT: dict[str, Any] = {
    "source_addr_ton": 5,
    "source_addr": "Relais",
    "dest_addr_ton": 1,
    "dest_addr_npi": 1,
    "destination_addr": "33612345678",
}

CASES: list[tuple[Pdu, str]] = [
    (
        BindTransmitter(sequence_number=1, system_id="relais", password="secret"),
        "00000023 00000002 00000000 0000000172656c61697300 73656372657400 00 34 00 00 00",
    ),
    (
        BindReceiver(
            sequence_number=2,
            system_id="relais",
            password="secret",
            system_type="SMPP",
            addr_ton=1,
            addr_npi=1,
            address_range="336",
        ),
        "0000002a 00000001 00000000 00000002"
        "72656c61697300 73656372657400 534d505000 34 01 01 33333600",
    ),
    (
        BindTransceiverResp(
            sequence_number=1, system_id="SMSC", tlvs=make_tlvs(sc_interface_version=0x34)
        ),
        "0000001a 80000009 00000000 00000001 534d534300 0210 0001 34",
    ),
    (
        BindReceiverResp(sequence_number=1, command_status=CommandStatus.ESME_RINVPASWD),
        "00000010 80000001 0000000e 00000001",  # refused: no body (SMPP 3.4 section 4.1.4)
    ),
    (
        Outbind(sequence_number=9, system_id="smsc", password="pw"),
        "00000018 0000000b 00000000 00000009 736d736300 707700",
    ),
    (EnquireLink(sequence_number=0x7FFFFFFF), "00000010 00000015 00000000 7fffffff"),
    (EnquireLinkResp(sequence_number=0x7FFFFFFF), "00000010 80000015 00000000 7fffffff"),
    (Unbind(sequence_number=3), "00000010 00000006 00000000 00000003"),
    (UnbindResp(sequence_number=3), "00000010 80000006 00000000 00000003"),
    (
        GenericNack(sequence_number=4, command_status=CommandStatus.ESME_RINVCMDID),
        "00000010 80000000 00000003 00000004",
    ),
    (
        SubmitSm(sequence_number=5, registered_delivery=1, short_message=b"Hello", **SUBMIT),
        f"00000037 00000004 00000000 00000005 00 0500 {RELAIS} 0101 {MSISDN}"
        "000000 00 00 01000000 05 48656c6c6f",
    ),
    (
        SubmitSm(
            sequence_number=6,
            esm_class=0x40,
            data_coding=8,
            short_message=bytes.fromhex("0500032a0201") + "é€".encode("utf-16-be"),
            **SUBMIT,
        ),
        f"0000003c 00000004 00000000 00000006 00 0500 {RELAIS} 0101 {MSISDN}"
        "400000 00 00 00000800 0a 0500032a0201 00e920ac",
    ),
    (
        SubmitSm(
            sequence_number=7,
            short_message=b"Part one",
            tlvs=make_tlvs(sar_msg_ref_num=0x1234, sar_total_segments=2, sar_segment_seqnum=1),
            **SUBMIT,
        ),
        f"0000004a 00000004 00000000 00000007 00 0500 {RELAIS} 0101 {MSISDN}"
        "000000 00 00 00000000 08 50617274206f6e65 020c00021234 020e000102 020f000101",
    ),
    (
        SubmitSm(sequence_number=8, tlvs=make_tlvs(message_payload=b"Hello world"), **SUBMIT),
        f"00000041 00000004 00000000 00000008 00 0500 {RELAIS} 0101 {MSISDN}"
        "000000 00 00 00000000 00 0424000b48656c6c6f20776f726c64",
    ),
    (
        SubmitSmResp(sequence_number=5, message_id="a1b2c3"),
        "00000017 80000004 00000000 00000005 61316232633300",
    ),
    (
        SubmitSmResp(sequence_number=5, command_status=CommandStatus.ESME_RTHROTTLED),
        "00000010 80000004 00000058 00000005",  # refused: no body (SMPP 3.4 section 4.4.2)
    ),
    (
        DeliverSm(
            sequence_number=2,
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr="33612345678",
            dest_addr_ton=5,
            destination_addr="Relais",
            esm_class=0x04,
            short_message=b"id:a1b2c3 stat:DELIVRD",
            tlvs=make_tlvs(receipted_message_id="a1b2c3", message_state=2),
        ),
        f"00000058 00000005 00000000 00000002 00 0101 {MSISDN} 0500 {RELAIS}"
        "040000 00 00 00000000 16 69643a613162326333207374"
        "61743a44454c49565244 001e0007 61316232633300 04270001 02",
    ),
    (DeliverSmResp(sequence_number=2), "00000011 80000005 00000000 00000002 00"),
    (
        DataSm(
            sequence_number=10,
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr="33612345678",
            dest_addr_ton=5,
            destination_addr="Relais",
            registered_delivery=1,
            tlvs=make_tlvs(message_payload=b"Hi"),
        ),
        f"00000031 00000103 00000000 0000000a 00 0101 {MSISDN} 0500 {RELAIS}00 01 00 04240002 4869",
    ),
    (
        DataSmResp(sequence_number=10, message_id="x9"),
        "00000013 80000103 00000000 0000000a 783900",
    ),
    (
        AlertNotification(
            sequence_number=11,
            source_addr_ton=1,
            source_addr_npi=1,
            source_addr="33612345678",
            esme_addr_ton=5,
            esme_addr="Relais",
            tlvs={Tag.MS_AVAILABILITY_STATUS: b"\x00"},
        ),
        f"0000002c 00000102 00000000 0000000b 0101 {MSISDN} 0500 {RELAIS} 04220001 00",
    ),
    (
        UnknownPdu(
            command_id=0x00000003, sequence_number=12, body=bytes.fromhex("61316232633300000000")
        ),
        "0000001a 00000003 00000000 0000000c 61316232633300 00 00 00",  # query_sm
    ),
]


@pytest.mark.parametrize(("pdu", "wire"), CASES)
def test_codec_encodes_to_spec_layout(pdu: Pdu, wire: str) -> None:
    assert encode(pdu).hex() == bytes.fromhex(wire).hex()


@pytest.mark.parametrize(("pdu", "wire"), CASES)
def test_codec_decodes_spec_layout(pdu: Pdu, wire: str) -> None:
    assert decode(bytes.fromhex(wire)) == pdu


def test_codec_reader_fed_one_byte_at_a_time_returns_every_pdu() -> None:
    stream = b"".join(bytes.fromhex(wire) for _, wire in CASES)
    reader = PduReader()
    seen: list[object] = []
    for byte in stream:
        reader.feed(bytes([byte]))
        while (pdu := reader.next_pdu()) is not NEED_DATA:
            seen.append(pdu)
    assert seen == [pdu for pdu, _ in CASES]
    assert reader.buffered == 0


def test_codec_reader_returns_several_pdus_from_one_chunk() -> None:
    reader = PduReader()
    reader.feed(encode(EnquireLink(sequence_number=1)) + encode(Unbind(sequence_number=2))[:10])
    assert reader.next_pdu() == EnquireLink(sequence_number=1)
    assert reader.next_pdu() is NEED_DATA
    reader.feed(encode(Unbind(sequence_number=2))[10:])
    assert reader.next_pdu() == Unbind(sequence_number=2)


@pytest.mark.parametrize(
    "head",
    [
        "0000000f 00000015 00000000 00000001",  # shorter than its own header
        "00010001 00000004 00000000 00000001",  # 64 KiB + 1
        "47455420 2f204854 54502f31 2e310d0a",  # "GET / HTTP/1.1\r\n"
    ],
)
def test_codec_reader_rejects_command_length_out_of_bounds_for_good(head: str) -> None:
    reader = PduReader()
    reader.feed(bytes.fromhex(head)[:4])
    with pytest.raises(RemoteProtocolError) as info:
        reader.next_pdu()
    assert info.value.fatal
    assert info.value.command_status_hint == CommandStatus.ESME_RINVCMDLEN
    reader.feed(encode(EnquireLink(sequence_number=1)))
    with pytest.raises(RemoteProtocolError):
        reader.next_pdu()  # the stream cannot be framed again


def test_codec_reader_max_command_length_is_configurable() -> None:
    reader = PduReader(max_command_length=32)
    reader.feed(encode(SubmitSm(short_message=b"x" * 40)))
    with pytest.raises(RemoteProtocolError):
        reader.next_pdu()


def test_codec_rejects_truncated_submit_sm_and_reads_on() -> None:
    whole = encode(SubmitSm(sequence_number=9, short_message=b"Hello", **SUBMIT))
    cut = (20).to_bytes(4, "big") + whole[4:20]  # header says 20 octets: body of 4
    reader = PduReader()
    reader.feed(cut + encode(EnquireLink(sequence_number=10)))
    with pytest.raises(RemoteProtocolError) as info:
        reader.next_pdu()
    assert not info.value.fatal
    assert info.value.command_status_hint == CommandStatus.ESME_RINVCMDLEN
    assert (info.value.command_id, info.value.sequence_number) == (0x00000004, 9)
    assert reader.next_pdu() == EnquireLink(sequence_number=10)


@pytest.mark.parametrize(
    ("body", "hint"),
    [
        ("00 0500" + "41" * 21 + "00", CommandStatus.ESME_RINVSRCADR),  # source_addr of 21
        ("00 0500 4100 0101" + "31" * 30 + "00", CommandStatus.ESME_RINVDSTADR),
        ("41414141414100", CommandStatus.ESME_RINVSERTYP),  # service_type of 6
        (
            f"00 0500 {RELAIS} 0101 {MSISDN} 000000 00 00 00000000 09 4869",
            CommandStatus.ESME_RINVMSGLEN,
        ),
        (
            f"00 0500 {RELAIS} 0101 {MSISDN} 000000 00 00 00000000 00 0424 0009 4869",
            CommandStatus.ESME_RINVOPTPARSTREAM,
        ),
        (
            f"00 0500 {RELAIS} 0101 {MSISDN} 000000 00 00 00000000 00 04",
            CommandStatus.ESME_RINVOPTPARSTREAM,
        ),
        ("00 0500 414141", CommandStatus.ESME_RINVCMDLEN),  # source_addr never terminated
    ],
)
def test_codec_rejects_bad_submit_sm_field_with_its_status(body: str, hint: int) -> None:
    raw = bytes.fromhex(body)
    data = (16 + len(raw)).to_bytes(4, "big") + bytes.fromhex("00000004 00000000 00000007") + raw
    with pytest.raises(RemoteProtocolError) as info:
        decode(data)
    assert info.value.command_status_hint == hint
    assert info.value.sequence_number == 7
    assert not info.value.fatal


def test_codec_decodes_unknown_command_for_generic_nack() -> None:
    pdu = decode(bytes.fromhex("00000014 00010203 00000000 00000063 deadbeef"))
    assert pdu == UnknownPdu(command_id=0x00010203, sequence_number=0x63, body=b"\xde\xad\xbe\xef")
    answer = response_for(pdu.command_id, pdu.sequence_number, CommandStatus.ESME_RINVCMDID)
    assert answer == GenericNack(sequence_number=0x63, command_status=CommandStatus.ESME_RINVCMDID)


def test_codec_response_for_known_request_is_its_resp() -> None:
    answer = response_for(0x00000004, 7, CommandStatus.ESME_RINVSRCADR)
    assert answer == SubmitSmResp(sequence_number=7, command_status=CommandStatus.ESME_RINVSRCADR)


def test_codec_decodes_refused_resp_with_body_as_well() -> None:
    # smpplib and others send message_id "" even when refusing; both forms must read.
    pdu = decode(bytes.fromhex("00000011 80000004 00000058 00000005 00"))
    assert pdu == SubmitSmResp(sequence_number=5, command_status=CommandStatus.ESME_RTHROTTLED)


def test_codec_decode_rejects_length_mismatch() -> None:
    with pytest.raises(RemoteProtocolError) as info:
        decode(bytes.fromhex("00000011 00000015 00000000 00000001"))
    assert info.value.fatal


@pytest.mark.parametrize(
    "pdu",
    [
        SubmitSm(source_addr="1" * 21),
        SubmitSm(destination_addr="é" * 21),
        SubmitSm(source_addr="Relais\0"),
        SubmitSm(source_addr="Relais€"),  # not Latin-1
        SubmitSm(source_addr_ton=256),
        SubmitSm(short_message=b"x" * 255),
        SubmitSm(tlvs={Tag.MESSAGE_PAYLOAD: b"x" * 70_000}),
        SubmitSm(sequence_number=-1),
        BindTransmitter(password="ten chars!"),
        SubmitSmResp(message_id="x" * 65),
    ],
)
def test_codec_refuses_to_encode_what_spec_forbids(pdu: Pdu) -> None:
    with pytest.raises(LocalProtocolError):
        encode(pdu)


def test_codec_refuses_to_encode_a_non_pdu() -> None:
    with pytest.raises(LocalProtocolError):
        encode("enquire_link")  # type: ignore[arg-type]


def test_errors_protocol_error_cannot_be_raised_directly() -> None:
    with pytest.raises(TypeError):
        ProtocolError("whose fault?")


def test_pdu_response_keeps_sequence_number() -> None:
    request = SubmitSm(sequence_number=42, **SUBMIT)
    assert request.response(message_id="m1") == SubmitSmResp(sequence_number=42, message_id="m1")


def test_pdu_tlvs_are_read_only_and_hashable() -> None:
    pdu = SubmitSm(tlvs={Tag.SAR_MSG_REF_NUM: b"\x00\x01"})
    with pytest.raises(TypeError):
        pdu.tlvs[Tag.SAR_TOTAL_SEGMENTS] = b"\x02"  # type: ignore[index]
    assert hash(pdu) == hash(SubmitSm(tlvs={Tag.SAR_MSG_REF_NUM: b"\x00\x01"}))


def test_pdu_typed_tlv_accessors_read_values() -> None:
    pdu = DeliverSm(
        tlvs=make_tlvs(
            sar_msg_ref_num=513,
            sar_total_segments=3,
            sar_segment_seqnum=2,
            receipted_message_id="ABC",
            message_state=5,
            network_error_code=(3, 0x0105),
            user_message_reference=77,
            source_port=1000,
            destination_port=2000,
            message_payload=b"long",
        )
    )
    assert (pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum) == (513, 3, 2)
    assert (pdu.receipted_message_id, pdu.message_state) == ("ABC", 5)
    assert pdu.network_error_code == (3, 0x0105)
    assert (pdu.user_message_reference, pdu.source_port, pdu.destination_port) == (77, 1000, 2000)
    assert pdu.message_payload == pdu.user_data == b"long"
    assert SubmitSm(short_message=b"x").user_data == b"x"
    assert SubmitSm().sar_msg_ref_num is None


def test_pdu_receipted_message_id_reads_without_nul() -> None:
    pdu = DeliverSm(tlvs={Tag.RECEIPTED_MESSAGE_ID: b"ABC"})
    assert pdu.receipted_message_id == "ABC"
