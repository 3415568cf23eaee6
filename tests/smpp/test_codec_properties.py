"""Property tests: any PDU the spec allows survives encode -> decode -> encode unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relais.smpp import (
    NEED_DATA,
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
    PduReader,
    RemoteProtocolError,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindResp,
    UnknownPdu,
    decode,
    encode,
)
from relais.smpp.readers import READERS


def cstr(limit: int) -> st.SearchStrategy[str]:
    """A C-octet string of at most `limit` octets with its NUL, any Latin-1 but NUL."""
    return st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=limit - 1)


octet = st.integers(0, 255)
sequence = st.integers(0, 0xFFFFFFFF)
status = st.integers(0, 0xFFFFFFFF)
tlvs = st.dictionaries(st.integers(0, 0xFFFF), st.binary(max_size=300), max_size=4)

bind_fields: dict[str, Any] = {
    "sequence_number": sequence,
    "system_id": cstr(16),
    "password": cstr(9),
    "system_type": cstr(13),
    "interface_version": octet,
    "addr_ton": octet,
    "addr_npi": octet,
    "address_range": cstr(41),
}
sm_fields: dict[str, Any] = {
    "sequence_number": sequence,
    "service_type": cstr(6),
    "source_addr_ton": octet,
    "source_addr_npi": octet,
    "source_addr": cstr(21),
    "dest_addr_ton": octet,
    "dest_addr_npi": octet,
    "destination_addr": cstr(21),
    "esm_class": octet,
    "protocol_id": octet,
    "priority_flag": octet,
    "schedule_delivery_time": cstr(17),
    "validity_period": cstr(17),
    "registered_delivery": octet,
    "replace_if_present_flag": octet,
    "data_coding": octet,
    "sm_default_msg_id": octet,
    "short_message": st.binary(max_size=254),
    "tlvs": tlvs,
}
data_sm_fields: dict[str, Any] = {
    "sequence_number": sequence,
    "service_type": cstr(6),
    "source_addr_ton": octet,
    "source_addr_npi": octet,
    "source_addr": cstr(65),
    "dest_addr_ton": octet,
    "dest_addr_npi": octet,
    "destination_addr": cstr(65),
    "esm_class": octet,
    "registered_delivery": octet,
    "data_coding": octet,
    "tlvs": tlvs,
}
unknown_ids = st.integers(0, 0xFFFFFFFF).filter(lambda cid: cid not in READERS)

pdus: st.SearchStrategy[Pdu] = st.one_of(
    *(st.builds(cls, **bind_fields) for cls in (BindTransmitter, BindReceiver, BindTransceiver)),
    *(
        st.builds(
            cls, sequence_number=sequence, command_status=status, system_id=cstr(16), tlvs=tlvs
        )
        for cls in (BindTransmitterResp, BindReceiverResp, BindTransceiverResp)
    ),
    st.builds(Outbind, sequence_number=sequence, system_id=cstr(16), password=cstr(9)),
    *(st.builds(cls, sequence_number=sequence) for cls in (EnquireLink, Unbind)),
    *(
        st.builds(cls, sequence_number=sequence, command_status=status)
        for cls in (EnquireLinkResp, UnbindResp, GenericNack)
    ),
    st.builds(SubmitSm, **sm_fields),
    st.builds(DeliverSm, **sm_fields),
    *(
        st.builds(cls, sequence_number=sequence, command_status=status, message_id=cstr(65))
        for cls in (SubmitSmResp, DeliverSmResp)
    ),
    st.builds(DataSm, **data_sm_fields),
    st.builds(
        DataSmResp, sequence_number=sequence, command_status=status, message_id=cstr(65), tlvs=tlvs
    ),
    st.builds(
        AlertNotification,
        sequence_number=sequence,
        source_addr_ton=octet,
        source_addr_npi=octet,
        source_addr=cstr(65),
        esme_addr_ton=octet,
        esme_addr_npi=octet,
        esme_addr=cstr(65),
        tlvs=tlvs,
    ),
    st.builds(
        UnknownPdu,
        command_id=unknown_ids,
        sequence_number=sequence,
        command_status=status,
        body=st.binary(max_size=64),
    ),
)


@settings(max_examples=400)
@given(pdus)
def test_codec_round_trips_any_valid_pdu(pdu: Pdu) -> None:
    wire = encode(pdu)
    assert decode(wire) == pdu
    assert encode(decode(wire)) == wire


@settings(max_examples=100)
@given(st.lists(pdus, min_size=1, max_size=5), st.integers(1, 50))
def test_codec_reader_frames_any_chunking(batch: list[Pdu], chunk: int) -> None:
    stream = b"".join(encode(pdu) for pdu in batch)
    reader = PduReader()
    seen: list[object] = []
    for start in range(0, len(stream), chunk):
        reader.feed(stream[start : start + chunk])
        while (pdu := reader.next_pdu()) is not NEED_DATA:
            seen.append(pdu)
    assert seen == batch


@settings(max_examples=300)
@given(st.binary(min_size=16, max_size=120))
def test_codec_garbage_raises_only_remote_protocol_errors(garbage: bytes) -> None:
    reader = PduReader()
    reader.feed(garbage)
    try:
        while reader.next_pdu() is not NEED_DATA:
            pass
    except RemoteProtocolError:
        pass  # the only acceptable failure; anything else is a bug in the codec


# 61 octets in all; cut at 55 it is a whole submit_sm without its TLV.
@pytest.mark.parametrize("cut", [cut for cut in range(16, 61) if cut != 55])
def test_codec_every_truncation_of_a_submit_sm_is_a_remote_error(cut: int) -> None:
    whole = encode(
        SubmitSm(
            sequence_number=3,
            source_addr="Relais",
            destination_addr="33612345678",
            short_message=b"Hello",
            tlvs={0x0204: b"\x00\x01"},
        )
    )
    assert len(whole) == 61
    data = cut.to_bytes(4, "big") + whole[4:cut]
    with pytest.raises(RemoteProtocolError):
        decode(data)
