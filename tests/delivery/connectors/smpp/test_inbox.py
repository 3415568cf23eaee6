"""The inbox dates receipts and inbound SMS by the clock it is given, not by the machine's."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from tests.delivery.connectors.smpp.fake_smsc import RecordingSink, wait_until

from relais.core.instant import to_ms
from relais.core.status import MessageStatus
from relais.delivery.connectors.smpp.inbox import DeliveryInbox
from relais.smpp import DeliverSm, EsmClass

MOMENT = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


async def test_inbox_dates_receipts_and_inbound_sms_by_its_clock() -> None:
    errors: list[str | None] = []
    inbox = DeliveryInbox(
        "carrier",
        inbound_expiry_s=60.0,
        clock=lambda: MOMENT,
        monotonic=asyncio.get_running_loop().time,
        on_error=errors.append,
    )
    sink = RecordingSink()
    inbox.start(sink)
    try:
        receipt = DeliverSm(
            source_addr="33612345678",
            destination_addr="Relais",
            esm_class=EsmClass.DELIVERY_RECEIPT,
            short_message=b"id:AB12 sub:001 dlvrd:001 submit date:3105060708 "
            b"done date:3105060708 stat:DELIVRD err:000 text:Hi",
        )
        sms = DeliverSm(source_addr="+33612345678", destination_addr="36180", short_message=b"Hi")
        stored = [inbox.on_deliver(receipt), inbox.on_deliver(sms)]
        await wait_until(lambda: all(f is not None and f.done() for f in stored))
    finally:
        inbox.close()
    assert errors == []
    [got] = sink.receipt_list
    assert (got.status, got.done_at_ms) == (MessageStatus.DELIVERED, to_ms(MOMENT))
    [inbound] = sink.inbound_list
    assert (inbound.source, inbound.text, inbound.received_at_ms) == (
        "33612345678",
        "Hi",
        to_ms(MOMENT),
    )
