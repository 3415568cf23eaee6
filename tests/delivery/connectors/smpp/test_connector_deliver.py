"""What the SMPP connector makes of deliver_sm: receipts under every id form, non-final
receipts dropped, inbound SMS reassembled from parts in any order, all handed over in
batches."""

from __future__ import annotations

import random

import pytest
from tests.delivery.connectors.smpp.fake_smsc import Script, message, running, wait_until

from relais.core.status import MessageStatus
from relais.smpp import DeliverSm, EsmClass, MessageState, make_tlvs
from relais.smpp.segmentation import split_for_submit


def receipt(text: str, **tlvs: object) -> DeliverSm:
    return DeliverSm(
        source_addr="33612345678",
        destination_addr="Relais",
        esm_class=EsmClass.DELIVERY_RECEIPT,
        short_message=text.encode("ascii"),
        tlvs=make_tlvs(**tlvs),  # type: ignore[arg-type]
    )


def mo_parts(text: str, method: str, reference: int) -> list[DeliverSm]:
    """An inbound message cut as a handset would: UDH 8-bit, UDH 16-bit or SAR."""
    parts = split_for_submit(text, method="sar", reference=reference)
    pdus = []
    for seq, part in enumerate(parts, start=1):
        common = {"source_addr": "+33612345678", "destination_addr": "36180"}
        if method == "sar":
            pdus.append(DeliverSm(**common, short_message=part.short_message, tlvs=part.tlvs))
            continue
        if method == "udh8":
            udh = bytes((5, 0x00, 3, reference & 0xFF, len(parts), seq))
        else:
            udh = bytes((6, 0x08, 4, reference >> 8, reference & 0xFF, len(parts), seq))
        pdus.append(
            DeliverSm(**common, esm_class=EsmClass.UDHI, short_message=udh + part.short_message)
        )
    return pdus


async def test_receipts_match_decimal_submit_ids_written_in_hex() -> None:
    script = Script(receipts=True, id_format="{}", receipt_id_format="{:x}")
    async with running(script) as (_, connector, sink):
        outcomes = await connector.submit([message(i) for i in range(1, 201)])
        await wait_until(lambda: len(sink.receipt_list) == 200)
        status = connector.status()

    assert outcomes[0].carrier_ids == ("1000000",)
    first = sink.receipt_list[0]
    assert first.carrier_ids == ("f4240", "1000000")  # as written first, then other forms
    assert first.status is MessageStatus.DELIVERED and first.error is None
    assert first.connector == "carrier"
    submitted = {i for o in outcomes for i in o.carrier_ids}
    assert all(submitted & set(r.carrier_ids) for r in sink.receipt_list)
    assert sink.calls < 50  # batched, not one call per receipt
    assert status.receipts == 200


async def test_receipts_non_final_are_ignored_and_failures_carry_err() -> None:
    async with running() as (smsc, _, sink):
        await smsc.deliver(receipt("id:0000ABC sub:001 dlvrd:000 stat:ACCEPTD err:000"))
        await smsc.deliver(receipt("id:0000ABC sub:001 dlvrd:000 stat:ENROUTE err:000"))
        await smsc.deliver(receipt("id:0000ABC sub:001 dlvrd:000 stat:UNDELIV err:012 text:x"))
        await wait_until(lambda: len(sink.receipt_list) == 1)
        acks = smsc.receiver().deliver_acks  # type: ignore[union-attr]
        await wait_until(lambda: len(acks) == 3)

    (only,) = sink.receipt_list
    assert only.status is MessageStatus.NOT_DELIVERED
    assert only.error == "err:012"
    assert only.carrier_ids == ("abc", "2748")
    assert [a.command_status for a in acks] == [0, 0, 0]  # every deliver_sm answered


async def test_receipts_from_tlvs_only() -> None:
    pdu = DeliverSm(
        source_addr="33612345678",
        esm_class=EsmClass.DELIVERY_RECEIPT,
        tlvs=make_tlvs(receipted_message_id="6b1f-22", message_state=MessageState.EXPIRED),
    )
    async with running() as (smsc, _, sink):
        await smsc.deliver(pdu)
        await wait_until(lambda: len(sink.receipt_list) == 1)

    (only,) = sink.receipt_list
    assert (only.carrier_ids, only.status) == (("6b1f-22",), MessageStatus.EXPIRED)


async def test_receipts_recognised_by_their_text_without_the_esm_class_flag() -> None:
    text = "id:77 sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD"
    async with running() as (smsc, _, sink):
        await smsc.deliver(DeliverSm(source_addr="33612345678", short_message=text.encode()))
        await smsc.deliver(DeliverSm(source_addr="33612345678", short_message=b"id: 4 stat: ok"))
        await wait_until(lambda: bool(sink.receipt_list and sink.inbound_list))

    assert [(r.carrier_ids, r.status) for r in sink.receipt_list] == [
        (("77", "119", "4d"), MessageStatus.DELIVERED)  # 77 read as hex, and as decimal
    ]
    assert [m.text for m in sink.inbound_list] == ["id: 4 stat: ok"]  # a person wrote this


@pytest.mark.parametrize("method", ["udh8", "udh16", "sar"])
async def test_inbound_reassembles_shuffled_parts(method: str) -> None:
    text = "Bonjour, je voudrais changer mon rendez-vous de demain matin. " * 6
    parts = mo_parts(text, method, reference=0x1A2B)
    assert len(parts) == 3
    random.Random(4).shuffle(parts)
    async with running() as (smsc, connector, sink):
        for pdu in parts:
            await smsc.deliver(pdu)
        await wait_until(lambda: len(sink.inbound_list) == 1)
        status = connector.status()

    (sms,) = sink.inbound_list
    assert (sms.connector, sms.source, sms.destination) == ("carrier", "33612345678", "36180")
    assert sms.text == text
    assert sms.received_at_ms > 0
    assert status.inbound == 1 and status.extra["reassembling"] == 0


async def test_inbound_single_sms_and_incomplete_parts_after_expiry() -> None:
    parts = mo_parts("Part one of a message whose end never comes. " * 5, "udh8", 7)
    async with running(inbound_expiry_s=0.1) as (smsc, _, sink):
        await smsc.deliver(DeliverSm(source_addr="33611111111", short_message=b"STOP"))
        await smsc.deliver(parts[0])
        await wait_until(lambda: len(sink.inbound_list) == 2, seconds=2)

    single, partial = sink.inbound_list
    assert (single.source, single.text) == ("33611111111", "STOP")
    assert partial.text.startswith("Part one of a message")
    assert (partial.source, partial.destination) == ("33612345678", "36180")


async def test_receipt_is_acknowledged_only_once_stored() -> None:
    text = "id:{} sub:001 dlvrd:001 submit date:2401011200 done date:2401011201 stat:DELIVRD err:0"
    async with running() as (smsc, _, sink):
        acks = smsc.receiver().deliver_acks  # type: ignore[union-attr]
        sink.failure = ConnectionError("database down")
        await smsc.deliver(receipt(text.format("abc")))
        await wait_until(lambda: len(acks) == 1)
        # Not stored: the carrier is told to deliver it again later.
        assert acks[0].command_status == 0x64  # ESME_RX_T_APPN
        sink.failure = None
        await smsc.deliver(receipt(text.format("abd")))
        await wait_until(lambda: len(acks) == 2)
        assert acks[1].command_status == 0
