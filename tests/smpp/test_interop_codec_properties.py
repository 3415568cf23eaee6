"""Random submit_sm and deliver_sm cross-checked against python-smpplib, both directions.

Values stay where smpplib is faithful: ASCII C-octet strings within SMPP 3.4 sizes (smpplib
silently truncates longer ones) and the TLVs it knows for these two PDUs, in the order it
writes them, so the octets must match exactly.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.smpp.smpplib_bridge import expected, smpplib_decode, smpplib_encode

from relais.smpp import DeliverSm, SubmitSm, Tlvs, decode, encode


def ascii_text(size: int) -> st.SearchStrategy[str]:
    return st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=size)


octet = st.integers(0, 255)
# TLVs smpplib knows for submit_sm and deliver_sm, in the order smpplib writes them.
OPTIONAL_TAGS = {
    "user_message_reference": (0x0204, 2),
    "source_port": (0x020A, 2),
    "destination_port": (0x020B, 2),
    "sar_msg_ref_num": (0x020C, 2),
    "sar_total_segments": (0x020E, 1),
    "sar_segment_seqnum": (0x020F, 1),
}


@settings(max_examples=300)
@given(
    name=st.sampled_from(["submit_sm", "deliver_sm"]),
    sequence=st.integers(1, 0x7FFFFFFF),
    fields=st.fixed_dictionaries(
        {
            "service_type": ascii_text(5),
            "source_addr_ton": octet,
            "source_addr_npi": octet,
            "source_addr": ascii_text(20),
            "dest_addr_ton": octet,
            "dest_addr_npi": octet,
            "destination_addr": ascii_text(20),
            "esm_class": octet,
            "protocol_id": octet,
            "priority_flag": octet,
            "schedule_delivery_time": ascii_text(16),
            "validity_period": ascii_text(16),
            "registered_delivery": octet,
            "replace_if_present_flag": octet,
            "data_coding": octet,
            "sm_default_msg_id": octet,
            "short_message": st.binary(max_size=254),
        }
    ),
    optional=st.fixed_dictionaries(
        {},
        optional={
            name: st.integers(0, 0xFFFF if size == 2 else 0xFF)
            for name, (_, size) in OPTIONAL_TAGS.items()
        },
    ),
)
def test_interop_random_messages_agree_both_ways(
    name: str, sequence: int, fields: dict[str, Any], optional: dict[str, int]
) -> None:
    tlvs = Tlvs(
        {
            OPTIONAL_TAGS[key][0]: optional[key].to_bytes(OPTIONAL_TAGS[key][1], "big")
            for key in OPTIONAL_TAGS
            if key in optional
        }
    )
    cls = SubmitSm if name == "submit_sm" else DeliverSm
    ours = cls(sequence_number=sequence, tlvs=tlvs, **fields)
    theirs = smpplib_encode(name, sequence, 0, {**fields, **optional})
    assert encode(ours).hex() == theirs.hex()
    assert decode(theirs) == ours
    parsed = smpplib_decode(encode(ours))
    for key, value in {**fields, **optional}.items():
        got = getattr(parsed, key)
        assert (b"" if got is None and key == "short_message" else got) == expected(value), key
