"""Receipts: long messages, routing to receivers, storing while none is bound, re-sending."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tests.smsc_simulator.conftest import Connect, StartSmsc
from tests.smsc_simulator.esme import LONG_TEXT, SUBMIT, long_message

from relais.smpp import CommandStatus, SubmitSm


@pytest.mark.parametrize("method", ["udh", "sar"])
@pytest.mark.parametrize(
    ("receipt_parts", "expected"), [("all", [1, 2, 3]), ("first", [1]), ("last", [3])]
)
async def test_receipts_of_long_message_follow_receipt_parts(
    start_smsc: StartSmsc, connect: Connect, method: str, receipt_parts: str, expected: list[int]
) -> None:
    smsc = await start_smsc(receipt_parts=receipt_parts)
    esme = await connect(smsc)
    answers = await esme.submit_many(long_message(method))
    ids = [answer.message_id for answer in answers]
    assert len(set(ids)) == 3
    await esme.wait_delivers(len(expected))
    await esme.quiet(0.1)
    assert sorted(ids.index(receipt.id) + 1 for receipt in esme.receipts) == expected
    parts = list(smsc.accepted)
    assert [part.part for part in parts] == [(1, 3), (2, 3), (3, 3)]
    assert all(part.message_text == LONG_TEXT for part in parts)


async def test_receipts_of_incomplete_message_have_no_whole_text(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    first, _, third = long_message("udh")
    await esme.submit_many([first, third])
    assert [entry.message_text for entry in smsc.accepted] == [None, None]
    assert smsc.record.incomplete == 1


async def test_receipts_wait_for_a_receiver_then_are_delivered(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    sender = await connect(smsc, bind="tx")
    ids = [(await sender.submit()).message_id for _ in range(3)]
    await smsc.wait_for(lambda: smsc.queued == 3)
    assert sender.delivers == [] and smsc.counters.receipts_sent == 0
    receiver = await connect(smsc, bind="rx")
    await receiver.wait_delivers(3)
    assert sorted(receipt.id for receipt in receiver.receipts) == sorted(ids)
    assert smsc.queued == 0


async def test_receipts_go_only_to_receivers_of_the_same_system_id(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    other = await connect(smsc, bind="rx", system_id="other")
    sender = await connect(smsc, bind="tx", system_id="relais")
    answer = await sender.submit()
    await smsc.wait_for(lambda: smsc.queued == 1)
    assert other.delivers == []
    mine = await connect(smsc, bind="rx", system_id="relais")
    await mine.wait_delivers(1)
    assert mine.receipts[0].id == answer.message_id


async def test_receipts_unacknowledged_when_receiver_leaves_are_sent_again(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    first = await connect(smsc)
    first.conn.send = _drop_deliver_sm_resp(first.conn.send)  # type: ignore[method-assign]
    answer = await first.submit()
    await first.wait_delivers(1)
    await first.close()
    second = await connect(smsc)
    await second.wait_delivers(1)
    assert second.receipts[0].id == answer.message_id
    assert smsc.counters.receipts_sent == 2


async def test_receipts_refused_with_temporary_error_are_retried(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(deliver_retry_s=0.05)
    esme = await connect(smsc)
    esme.ack_status = CommandStatus.ESME_RX_T_APPN
    await esme.submit()
    await esme.wait_delivers(2)
    assert smsc.counters.delivers_refused >= 1
    esme.ack_status = CommandStatus.ESME_ROK
    await smsc.wait_for(lambda: smsc.counters.delivers_acked == 1)
    ids = {receipt.id for receipt in esme.receipts}
    assert len(ids) == 1


async def test_receipts_before_response_race(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc(receipt_before_response=True)
    esme = await connect(smsc)
    answer = await esme.submit()
    assert [receipt.id for receipt in esme.receipts] == [answer.message_id]


async def test_receipts_window_limits_unacknowledged_deliver_sm(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(deliver_window=5)
    esme = await connect(smsc)
    esme.conn.send = _drop_deliver_sm_resp(esme.conn.send)  # type: ignore[method-assign]
    await esme.submit_many(SubmitSm(**SUBMIT) for _ in range(20))
    await esme.wait_delivers(5)
    await esme.quiet(0.1)
    assert len(esme.delivers) == 5
    assert smsc.counters.receipts_sent == 5


def _drop_deliver_sm_resp(send):
    """Wrap an ESME connection's send so deliver_sm_resp never leaves: an ESME that hangs."""

    def send_or_drop(pdu):
        data = send(pdu)
        return b"" if type(pdu).__name__ == "DeliverSmResp" else data

    return send_or_drop


async def test_receipts_are_dated_by_the_simulators_clock(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    moment = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    smsc = await start_smsc(clock=lambda: moment)
    esme = await connect(smsc)
    await esme.submit()
    await esme.wait_delivers(1)
    [receipt] = esme.receipts
    assert (receipt.submit_date, receipt.done_date) == ("3105060708", "3105060708")
    assert smsc.accepted[0].accepted_at == moment
