"""submit_sm in each mode: happy, black hole, no response, throttled, errors, link cuts."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from tests.smsc_simulator.conftest import Connect, StartSmsc
from tests.smsc_simulator.esme import SUBMIT

from relais.smpp import (
    CommandStatus,
    DataSm,
    EnquireLink,
    EnquireLinkResp,
    MessageState,
    SubmitSm,
    make_tlvs,
    normalize_message_id,
)


async def test_submit_happy_gets_fresh_ids_and_delivered_receipts(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    first = await esme.submit(short_message=b"Hello")
    second = await esme.submit(short_message=b"Again")
    assert first.command_status == second.command_status == CommandStatus.ESME_ROK
    assert first.message_id and first.message_id != second.message_id
    await esme.wait_delivers(2)
    receipt = next(r for r in esme.receipts if r.id == first.message_id)
    assert receipt.stat == "DELIVRD"
    assert receipt.err == "000"
    assert receipt.text == "Hello"
    assert receipt.receipted_message_id == first.message_id
    assert receipt.message_state == MessageState.DELIVERED
    deliver = esme.delivers[0]
    assert (deliver.source_addr, deliver.destination_addr) == ("33612345678", "Relais")
    assert deliver.esm_class == 0x04
    accepted = smsc.record.by_id(first.message_id)
    assert accepted is smsc.accepted[0]
    assert (accepted.message_id, accepted.source, accepted.destination) == (
        first.message_id,
        "Relais",
        "33612345678",
    )
    assert (accepted.text, accepted.message_text, accepted.part) == ("Hello", "Hello", None)
    counters = smsc.counters
    assert (counters.submits, counters.accepted, counters.receipts_sent) == (2, 2, 2)
    await smsc.wait_for(lambda: smsc.counters.delivers_acked == 2)


async def test_submit_receipt_carries_configured_stat(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(stat_mix={"UNDELIV": 1.0})
    esme = await connect(smsc)
    await esme.submit()
    await esme.wait_delivers(1)
    (receipt,) = esme.receipts
    assert receipt.stat == "UNDELIV"
    assert receipt.err != "000"
    assert receipt.message_state == MessageState.UNDELIVERABLE


async def test_submit_stat_mix_draws_every_stat(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc(stat_mix={"DELIVRD": 0.5, "EXPIRED": 0.3, "REJECTD": 0.2}, seed=7)
    esme = await connect(smsc)
    await esme.submit_many(SubmitSm(**SUBMIT) for _ in range(200))
    await esme.wait_delivers(200)
    stats = [receipt.stat for receipt in esme.receipts]
    assert {"DELIVRD", "EXPIRED", "REJECTD"} == set(stats)
    assert stats.count("DELIVRD") > stats.count("REJECTD")


@pytest.mark.parametrize(
    ("id_format", "receipt_id_format", "quoted"),
    [
        ("hex", "same", lambda mid: mid),
        ("decimal", "same", lambda mid: mid),
        ("uuid", "same", lambda mid: mid),
        ("hex", "decimal", lambda mid: str(int(mid, 16))),
        ("decimal", "hex", lambda mid: format(int(mid), "x")),
        ("uuid", "hex", lambda mid: uuid.UUID(mid).hex),
    ],
)
async def test_submit_id_formats_and_receipt_id_in_another_base(
    start_smsc: StartSmsc, connect: Connect, id_format: str, receipt_id_format: str, quoted
) -> None:
    smsc = await start_smsc(id_format=id_format, receipt_id_format=receipt_id_format)
    esme = await connect(smsc)
    answer = await esme.submit()
    message_id = answer.message_id
    if id_format == "decimal":
        assert message_id.isdigit()
    elif id_format == "hex":
        assert int(message_id, 16) >= 1 << 40
    else:
        assert str(uuid.UUID(message_id)) == message_id
    await esme.wait_delivers(1)
    (receipt,) = esme.receipts
    assert receipt.id == receipt.receipted_message_id == quoted(message_id)
    if id_format != "uuid":
        assert normalize_message_id(receipt.id) & normalize_message_id(message_id)


async def test_submit_receipt_waits_for_its_delay(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc(receipt_delay_ms=400)
    esme = await connect(smsc)
    await esme.submit()
    await esme.quiet(0.15)
    assert esme.delivers == []
    assert smsc.scheduled == 1
    await esme.wait_delivers(1, timeout_s=3)


async def test_submit_without_tlvs_receipt_is_text_only(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(receipt_tlvs=False)
    esme = await connect(smsc)
    answer = await esme.submit()
    (deliver,) = await esme.wait_delivers(1)
    assert deliver.receipted_message_id is None and deliver.message_state is None
    assert esme.receipts[0].id == answer.message_id


@pytest.mark.parametrize(
    ("registered_delivery", "stat", "receipts"),
    [(0, "DELIVRD", 0), (2, "DELIVRD", 0), (2, "UNDELIV", 1), (1, "UNDELIV", 1)],
)
async def test_submit_registered_delivery_decides_the_receipt(
    start_smsc: StartSmsc, connect: Connect, registered_delivery: int, stat: str, receipts: int
) -> None:
    smsc = await start_smsc(stat_mix={stat: 1})
    esme = await connect(smsc)
    await esme.submit(registered_delivery=registered_delivery)
    await esme.quiet(0.1)
    assert len(esme.receipts) == receipts == smsc.counters.receipts_sent


async def test_submit_black_hole_accepts_without_receipt(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(black_hole=True)
    esme = await connect(smsc)
    answer = await esme.submit()
    assert answer.command_status == CommandStatus.ESME_ROK and answer.message_id
    await esme.quiet(0.2)
    assert esme.delivers == []
    assert (smsc.counters.accepted, smsc.counters.receipts_scheduled) == (1, 0)


async def test_submit_no_response_never_answers_but_link_lives(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(no_response=True)
    esme = await connect(smsc)
    sequence = esme.send(SubmitSm(**SUBMIT))
    with pytest.raises(TimeoutError):
        await esme.response(sequence, timeout_s=0.3)
    assert isinstance(await esme.request(EnquireLink()), EnquireLinkResp)
    assert (smsc.counters.unanswered, smsc.counters.accepted) == (1, 0)
    assert esme.delivers == []


async def test_submit_above_rate_is_throttled(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc(throttle_per_second=10)
    esme = await connect(smsc)
    answers = await esme.submit_many([SubmitSm(**SUBMIT) for _ in range(40)], window=40)
    statuses = [answer.command_status for answer in answers]
    accepted = statuses.count(CommandStatus.ESME_ROK)
    assert 10 <= accepted <= 12
    assert statuses.count(CommandStatus.ESME_RTHROTTLED) == 40 - accepted
    assert smsc.counters.throttled == 40 - accepted
    await asyncio.sleep(0.3)  # the bucket refills at 10 a second
    assert (await esme.submit()).command_status == CommandStatus.ESME_ROK


async def test_submit_error_refuses_every_submit(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc(submit_error=CommandStatus.ESME_RSUBMITFAIL)
    esme = await connect(smsc)
    answer = await esme.submit()
    assert answer.command_status == CommandStatus.ESME_RSUBMITFAIL
    assert answer.message_id == ""
    await esme.quiet(0.1)
    assert esme.delivers == [] and len(smsc.accepted) == 0
    assert smsc.counters.errored == 1


async def test_submit_error_every_nth_submit(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc(submit_error=0x58, submit_error_every=3)
    esme = await connect(smsc)
    statuses = [(await esme.submit()).command_status for _ in range(7)]
    assert statuses == [0, 0, 0x58, 0, 0, 0x58, 0]


async def test_submit_error_only_to_listed_destinations(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(
        submit_error=CommandStatus.ESME_RINVDSTADR, submit_error_destinations={"33600000009"}
    )
    esme = await connect(smsc)
    bad = await esme.submit(destination_addr="33600000009")
    good = await esme.submit(destination_addr="33600000001")
    assert bad.command_status == CommandStatus.ESME_RINVDSTADR
    assert good.command_status == CommandStatus.ESME_ROK


async def test_submit_disconnect_after_cuts_first_connection_with_submit_in_flight(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(disconnect_after=3)
    esme = await connect(smsc)
    assert (await esme.submit()).command_status == 0
    assert (await esme.submit()).command_status == 0
    lost = esme.send(SubmitSm(**SUBMIT, tlvs=make_tlvs(user_message_reference=9)))
    await esme.until(lambda: esme.closed)
    assert lost not in esme.responses
    assert smsc.counters.disconnects == 1
    cut = smsc.accepted[2]  # accepted, its response lost with the link
    again = await connect(smsc)
    answers = [await again.submit() for _ in range(4)]
    assert all(answer.command_status == 0 for answer in answers)
    await again.until(lambda: any(r.id == cut.message_id for r in again.receipts))
    assert smsc.counters.disconnects == 1


async def test_submit_disconnect_after_repeat_cuts_every_connection(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(disconnect_after=2, disconnect_after_repeat=True)
    for _ in range(2):
        esme = await connect(smsc)
        await esme.submit()
        esme.send(SubmitSm(**SUBMIT))
        await esme.until(lambda esme=esme: esme.closed)
    assert smsc.counters.disconnects == 2


async def test_submit_data_sm_is_accepted_like_submit_sm(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    answer = await esme.request(
        DataSm(
            source_addr="Relais",
            destination_addr="33612345678",
            registered_delivery=1,
            tlvs=make_tlvs(message_payload=b"Payload"),
        )
    )
    assert answer.command_status == 0 and answer.message_id
    await esme.wait_delivers(1)
    assert esme.receipts[0].id == answer.message_id
    assert smsc.accepted[0].text == "Payload"
