"""The built-in carrier: every submit SENT at once, its receipt dated by the given clock."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.delivery.connectors.smpp.fake_smsc import RecordingSink, message, wait_until

from relais.core.instant import to_ms
from relais.core.status import MessageStatus
from relais.delivery.connectors.builtin_carrier import BuiltinCarrier

MOMENT = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


async def test_builtin_carrier_dates_receipts_by_its_clock() -> None:
    carrier = BuiltinCarrier(clock=lambda: MOMENT, receipt_delay_ms=0)
    sink = RecordingSink()
    await carrier.start(sink)
    try:
        [outcome] = await carrier.submit([message(1)])
        await wait_until(lambda: len(sink.receipt_list) == 1)
    finally:
        await carrier.stop()
    assert outcome.status is MessageStatus.SENT
    [receipt] = sink.receipt_list
    assert receipt.carrier_ids == outcome.carrier_ids
    assert (receipt.status, receipt.done_at_ms) == (MessageStatus.DELIVERED, to_ms(MOMENT))
