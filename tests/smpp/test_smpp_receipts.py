from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relais.core.status import MessageStatus
from relais.smpp import DeliverSm, Tag, make_tlvs
from relais.smpp.pdu import DataSm
from relais.smpp.receipts import (
    DeliveryReceipt,
    format_receipt,
    is_receipt,
    normalize_message_id,
    parse_receipt,
    receipt_from_pdu,
    stat_for,
)
from relais.smpp.receipts import _parse_any_form as parse_any_form

APPENDIX_B = (
    "id:0123456789 sub:001 dlvrd:001 submit date:2406121030 done date:2406121031 "
    "stat:DELIVRD err:000 text:Bonjour Jean, vous a"
)


def test_receipts_parse_appendix_b_format() -> None:
    assert parse_receipt(APPENDIX_B) == DeliveryReceipt(
        id="0123456789",
        stat="DELIVRD",
        err="000",
        sub="001",
        dlvrd="001",
        submit_date="2406121030",
        done_date="2406121031",
        text="Bonjour Jean, vous a",
    )


@pytest.mark.parametrize(
    ("text", "message_id", "stat", "err", "done"),
    [
        # Kannel-fed carriers: "Text:" capitalised, seconds in the dates, hex id
        (
            "id:1A2B3C4D sub:001 dlvrd:000 submit date:240612103015 done date:240612103120 "
            "stat:UNDELIV err:001 Text:Bonjour",
            "1A2B3C4D",
            "UNDELIV",
            "001",
            "240612103120",
        ),
        # Jasmin: UUID ids; no sub, dlvrd nor text
        (
            "id:5d9c3c3e-8c0e-4a7e-9e35-6b0b2f1a4b7c submit date:2406121030 "
            "done date:2406121031 stat:DELIVRD err:000",
            "5d9c3c3e-8c0e-4a7e-9e35-6b0b2f1a4b7c",
            "DELIVRD",
            "000",
            "2406121031",
        ),
        # lower case everything, short err, keys out of order
        ("stat:delivrd id:42 err:0 done date:2406121031", "42", "DELIVRD", "0", "2406121031"),
        # extra spaces around values and between fields
        (
            "id: 12345   sub:001  dlvrd:001 submit date: 2406121030  done date: 2406121031 "
            " stat: EXPIRED  err: 000 text:",
            "12345",
            "EXPIRED",
            "000",
            "2406121031",
        ),
        # underscores, four-digit years with a space before the time
        (
            "ID:77 SUBMIT_DATE:20240612 103000 DONE_DATE:20240612 103100 STAT:REJECTD ERR:0B",
            "77",
            "REJECTD",
            "0B",
            "20240612103100",
        ),
        # full words instead of the abbreviations
        ("id:9 stat:DELIVERED err:0", "9", "DELIVRD", "0", None),
        ("id:9 stat:Undeliverable err:0", "9", "UNDELIV", "0", None),
    ],
)
def test_receipts_parse_variants_seen_in_the_wild(
    text: str, message_id: str, stat: str, err: str, done: str | None
) -> None:
    receipt = parse_receipt(text)
    assert receipt is not None
    assert (receipt.id, receipt.stat, receipt.err, receipt.done_date) == (
        message_id,
        stat,
        err,
        done,
    )


def test_receipts_text_may_quote_other_keys() -> None:
    receipt = parse_receipt("id:1 stat:DELIVRD err:000 text:your id: 99 stat: ok")
    assert receipt is not None
    assert (receipt.id, receipt.stat) == ("1", "DELIVRD")
    assert receipt.text == "your id: 99 stat: ok"


_VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)
_DIGITS = st.text(st.sampled_from("0123456789"), min_size=1, max_size=14)
_ANY_TEXT = st.text(max_size=40) | st.sampled_from([" id:9 stat:UNDELIV", "  err:1  ", ""])


@given(_VALUE, _VALUE, _VALUE, _DIGITS, _DIGITS, _VALUE, _VALUE, _ANY_TEXT)
def test_receipts_in_appendix_b_form_read_as_the_general_parser_reads_them(
    message_id: str,
    sub: str,
    dlvrd: str,
    submitted: str,
    done: str,
    stat: str,
    err: str,
    text: str,
) -> None:
    """The usual form has a fast reading of its own: it must say what the cut at keys says."""
    receipt = (
        f"id:{message_id} sub:{sub} dlvrd:{dlvrd} submit date:{submitted} done date:{done}"
        f" stat:{stat} err:{err} text:{text}"
    )
    assert parse_receipt(receipt) == parse_any_form(receipt)


@pytest.mark.parametrize(
    "receipt",
    [
        APPENDIX_B.upper(),
        APPENDIX_B.replace(" sub:", "  sub:"),
        APPENDIX_B.replace("submit date", "submit_date"),
        "xx " + APPENDIX_B,
        APPENDIX_B.replace("stat:DELIVRD", "stat:délivré"),
    ],
)
def test_receipts_near_the_usual_form_still_read_through_the_general_parser(receipt: str) -> None:
    parsed = parse_receipt(receipt)
    assert parsed is not None and parsed == parse_any_form(receipt)
    assert parsed.id is not None and parsed.id.lower() == "0123456789"


def test_receipts_ordinary_text_is_not_a_receipt() -> None:
    assert parse_receipt("Bonjour, rendez-vous demain à 10h") is None
    assert parse_receipt("") is None


@pytest.mark.parametrize(
    ("stat", "status", "final"),
    [
        ("DELIVRD", MessageStatus.DELIVERED, True),
        ("UNDELIV", MessageStatus.NOT_DELIVERED, True),
        ("EXPIRED", MessageStatus.EXPIRED, True),
        ("REJECTD", MessageStatus.REJECTED, True),
        ("DELETED", MessageStatus.NOT_DELIVERED, True),
        ("UNKNOWN", MessageStatus.NOT_DELIVERED, True),
        ("ACCEPTD", MessageStatus.SENT, False),
        ("ENROUTE", MessageStatus.SENT, False),
        ("WHATEVR", None, False),
    ],
)
def test_receipts_map_stat_to_status(stat: str, status: MessageStatus | None, final: bool) -> None:
    receipt = DeliveryReceipt(id="1", stat=stat)
    assert receipt.status is status
    assert receipt.is_final is final


def test_receipts_dates_read_in_the_given_zone() -> None:
    receipt = parse_receipt(APPENDIX_B.replace("2406121031", "240612103159"))
    assert receipt is not None
    paris = timezone(timedelta(hours=2))
    assert receipt.submitted_at(paris) == datetime(2024, 6, 12, 10, 30, tzinfo=paris)
    assert receipt.done_at(UTC) == datetime(2024, 6, 12, 10, 31, 59, tzinfo=UTC)
    assert DeliveryReceipt(id="1", stat=None, done_date="99999999").done_at(UTC) is None
    assert DeliveryReceipt(id="1", stat=None, done_date="2413991030").done_at(UTC) is None


@pytest.mark.parametrize(
    ("submitted", "receipted"),
    [
        ("12345", "3039"),  # decimal in submit_sm_resp, hex in the receipt
        ("3039", "12345"),  # and the reverse
        ("0000012345", "12345"),  # leading zeros
        ("ABCDEF01", "abcdef01"),  # case
        ("0x3039", "12345"),
        ("5D9C3C3E-8C0E-4A7E-9E35-6B0B2F1A4B7C", "5d9c3c3e-8c0e-4a7e-9e35-6b0b2f1a4b7c"),
    ],
)
def test_receipts_normalized_ids_match_across_bases(submitted: str, receipted: str) -> None:
    assert normalize_message_id(submitted) & normalize_message_id(receipted)


@pytest.mark.parametrize(("one", "other"), [("12345", "12346"), ("abc-1", "abc-2"), ("7", "")])
def test_receipts_normalized_ids_keep_distinct_ids_apart(one: str, other: str) -> None:
    assert not normalize_message_id(one) & normalize_message_id(other)


def test_receipts_normalize_gives_every_form() -> None:
    assert normalize_message_id(" 0012345 ") == {"12345", "3039", "74565"}
    assert normalize_message_id("00") == {"0"}
    assert normalize_message_id("f" * 200) == {"f" * 200}  # never parses a huge number


def test_receipts_from_deliver_sm_with_text_and_tlvs() -> None:
    pdu = DeliverSm(
        esm_class=0x04,
        short_message=APPENDIX_B.encode(),
        tlvs=make_tlvs(receipted_message_id="75BCD15", message_state=2),
    )
    receipt = receipt_from_pdu(pdu)
    assert receipt is not None
    assert (receipt.id, receipt.receipted_message_id, receipt.message_state) == (
        "0123456789",
        "75BCD15",
        2,
    )
    assert normalize_message_id("123456789") & receipt.match_ids()
    assert receipt.status is MessageStatus.DELIVERED


def test_receipts_from_tlvs_only() -> None:
    pdu = DataSm(esm_class=0x04, tlvs=make_tlvs(receipted_message_id="abc", message_state=8))
    receipt = receipt_from_pdu(pdu)
    assert receipt is not None
    assert (receipt.id, receipt.stat, receipt.status) == ("abc", "REJECTD", MessageStatus.REJECTED)


def test_receipts_from_ucs2_message_payload() -> None:
    pdu = DeliverSm(
        esm_class=0x04,
        data_coding=8,
        tlvs={Tag.MESSAGE_PAYLOAD: "id:55 stat:EXPIRED err:000".encode("utf-16-be")},
    )
    receipt = receipt_from_pdu(pdu)
    assert receipt is not None
    assert (receipt.id, receipt.status) == ("55", MessageStatus.EXPIRED)


def test_receipts_ordinary_deliver_sm_is_no_receipt() -> None:
    pdu = DeliverSm(short_message=b"STOP")
    assert not is_receipt(pdu)
    assert receipt_from_pdu(pdu) is None
    assert receipt_from_pdu(DeliverSm(esm_class=0x04, short_message=b"hello")) is None


def test_receipts_format_builds_appendix_b_text() -> None:
    text = format_receipt(
        message_id="0123456789",
        stat="DELIVRD",
        submit_date=datetime(2024, 6, 12, 10, 30),
        done_date=datetime(2024, 6, 12, 10, 31),
        text="Bonjour Jean, vous avez rendez-vous",  # cut to 20 characters
    )
    assert text == APPENDIX_B


def test_receipts_format_then_parse_round_trips() -> None:
    text = format_receipt(
        message_id="5d9c",
        stat=stat_for(MessageStatus.EXPIRED),
        submit_date=datetime(2024, 6, 12, 10, 30, 5),
        done_date=datetime(2024, 6, 13, 10, 30, 7),
        err="0C1",
        seconds=True,
    )
    receipt = parse_receipt(text)
    assert receipt is not None
    assert receipt.done_at(UTC) == datetime(2024, 6, 13, 10, 30, 7, tzinfo=UTC)
    assert (receipt.id, receipt.dlvrd, receipt.err, receipt.status) == (
        "5d9c",
        "000",
        "0C1",
        MessageStatus.EXPIRED,
    )


@pytest.mark.parametrize(
    ("status", "stat"),
    [
        (MessageStatus.DELIVERED, "DELIVRD"),
        (MessageStatus.EXPIRED, "EXPIRED"),
        (MessageStatus.REJECTED, "REJECTD"),
        (MessageStatus.SENT, "ACCEPTD"),
        (MessageStatus.NOT_DELIVERED, "UNDELIV"),
        (MessageStatus.INVALID_DESTINATION, "UNDELIV"),
    ],
)
def test_receipts_stat_for_status(status: MessageStatus, stat: str) -> None:
    assert stat_for(status) == stat
