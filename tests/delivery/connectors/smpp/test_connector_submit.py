"""SmppConnector.submit against a fake SMSC on loopback: pipelining, long messages, and
what each carrier answer becomes."""

from __future__ import annotations

import asyncio

from tests.delivery.connectors.smpp.fake_smsc import Script, message, running, wait_until

from relais.core.status import MessageStatus
from relais.smpp import CommandStatus, DataCoding, EsmClass, Npi, SubmitSm, Ton

LONG_GSM = "Relais " * 60  # 420 GSM-7 characters: 3 parts of 153
SENT = MessageStatus.SENT
QUEUED = MessageStatus.QUEUED


def udh_of(pdu: SubmitSm) -> bytes:
    return pdu.short_message[: pdu.short_message[0] + 1]


async def test_submit_pipelines_a_batch_within_the_window() -> None:
    async with running(Script(answer_delay_s=0.003), window=50) as (smsc, connector, _):
        outcomes = await connector.submit([message(i) for i in range(1, 501)])

    assert [o.status for o in outcomes] == [SENT] * 500
    assert [o.message_id for o in outcomes] == list(range(1, 501))
    assert 40 <= smsc.max_outstanding <= 50  # pipelined, and never beyond the window
    assert outcomes[0].carrier_ids == ("f4240",)  # 1000000 as the fake writes it, in hex
    first = smsc.submits[0]
    assert first.user_message_reference == 1
    assert (first.source_addr_ton, first.source_addr_npi, first.source_addr) == (
        Ton.ALPHANUMERIC,
        Npi.UNKNOWN,
        "Relais",
    )
    assert (first.dest_addr_ton, first.dest_addr_npi) == (Ton.INTERNATIONAL, Npi.ISDN)
    assert first.registered_delivery == 1
    assert connector.status().submitted == 500


async def test_submit_concurrent_batches_share_the_window_out_of_order() -> None:
    script = Script(answer_delay_s=0.001, answer_jitter_s=0.005)
    async with running(script, window=10) as (smsc, connector, _):
        first, second = await asyncio.gather(
            connector.submit([message(i) for i in range(1, 101)]),
            connector.submit([message(i) for i in range(101, 201)]),
        )
        assert connector.status().in_flight == 0

    assert [o.message_id for o in first + second] == list(range(1, 201))
    assert {o.status for o in first + second} == {SENT}
    assert all(o.carrier_ids == (smsc.ids_by_reference[o.message_id],) for o in first + second)
    assert smsc.max_outstanding <= 10


async def test_submit_long_gsm_message_in_three_udh_parts() -> None:
    async with running() as (smsc, connector, _):
        (outcome,) = await connector.submit([message(0x1234, LONG_GSM)])

    assert outcome.status is SENT
    assert len(outcome.carrier_ids) == 3
    udhs = [udh_of(pdu) for pdu in smsc.submits]
    assert udhs == [bytes((5, 0, 3, 0x34, 3, seq)) for seq in (1, 2, 3)]
    assert all(pdu.esm_class & EsmClass.UDHI for pdu in smsc.submits)
    assert {pdu.user_message_reference for pdu in smsc.submits} == {0x1234}
    text = b"".join(pdu.short_message[6:] for pdu in smsc.submits)
    assert text.decode("ascii") == LONG_GSM


async def test_submit_ucs2_message_in_utf16() -> None:
    async with running() as (smsc, connector, _):
        outcomes = await connector.submit(
            [message(1, "Bonjour", encoding="ucs2"), message(2, "Ça coûte 5 € 😀" * 8)]
        )

    assert [o.status for o in outcomes] == [SENT, SENT]
    short, *long_parts = smsc.submits
    assert short.data_coding == DataCoding.UCS2
    assert short.short_message == "Bonjour".encode("utf-16-be")
    assert len(long_parts) == 2  # 120 UCS-2 code units: 2 parts of 67
    assert all(p.data_coding == DataCoding.UCS2 for p in long_parts)
    body = b"".join(p.short_message[6:] for p in long_parts)
    assert body.decode("utf-16-be") == "Ça coûte 5 € 😀" * 8


async def test_submit_sar_method_links_parts_with_16_bit_reference() -> None:
    async with running(long_message_method="sar") as (smsc, connector, _):
        (outcome,) = await connector.submit([message(70_000, LONG_GSM)])

    assert outcome.status is SENT and len(outcome.carrier_ids) == 3
    assert [
        (p.sar_msg_ref_num, p.sar_total_segments, p.sar_segment_seqnum) for p in smsc.submits
    ] == [(70_000 & 0xFFFF, 3, n) for n in (1, 2, 3)]
    assert not any(p.esm_class & EsmClass.UDHI for p in smsc.submits)


async def test_submit_payload_method_sends_one_pdu() -> None:
    async with running(long_message_method="payload") as (smsc, connector, _):
        (outcome,) = await connector.submit([message(1, LONG_GSM)])

    (pdu,) = smsc.submits
    assert outcome.status is SENT and len(outcome.carrier_ids) == 1
    assert pdu.short_message == b""
    assert pdu.message_payload == LONG_GSM.encode("ascii")


async def test_submit_temporary_error_queues_and_slows_down() -> None:
    script = Script(throttle_first=3)
    async with running(script, throughput_per_second=1000) as (_, connector, _sink):
        outcomes = await connector.submit([message(i) for i in range(1, 11)])
        status = connector.status()

    assert [o.status for o in outcomes] == [QUEUED] * 3 + [SENT] * 7
    assert outcomes[0].error == "ESME_RTHROTTLED (0x00000058)"
    assert outcomes[0].retry_after_ms == 1000
    assert outcomes[0].carrier_ids == ()
    assert status.extra["throttled"] == 3
    assert status.extra["rate_limit_per_s"] == 500  # cut once for the whole burst
    assert "throttled to 500/s" in status.detail


async def test_submit_permanent_errors_map_to_final_statuses() -> None:
    errors = {
        "33600000001": CommandStatus.ESME_RINVDSTADR,
        "33600000002": CommandStatus.ESME_RINVSRCADR,
        "33600000003": CommandStatus.ESME_RSUBMITFAIL,
    }
    async with running(Script(errors=errors)) as (_, connector, _sink):
        outcomes = await connector.submit(
            [message(i, destination=f"3360000000{i}") for i in (1, 2, 3, 4)]
        )

    assert [(o.status, o.error) for o in outcomes] == [
        (MessageStatus.INVALID_DESTINATION, "ESME_RINVDSTADR (0x0000000B)"),
        (MessageStatus.INVALID_SENDER, "ESME_RINVSRCADR (0x0000000A)"),
        (MessageStatus.REJECTED, "ESME_RSUBMITFAIL (0x00000045)"),
        (SENT, None),
    ]


async def test_submit_part_refused_after_others_keeps_their_ids() -> None:
    script = Script(status_for=lambda _, n: CommandStatus.ESME_RINVDSTADR if n == 3 else None)
    async with running(script) as (_, connector, _sink):
        (outcome,) = await connector.submit([message(1, LONG_GSM)])

    assert outcome.status is MessageStatus.INVALID_DESTINATION
    assert outcome.carrier_ids == ("f4240", "f4241")


async def test_submit_timeout_with_resend_policy_queues_and_reconnects() -> None:
    script = Script(silent=True)
    async with running(script, response_timeout_s=0.1, timeout_policy="resend") as (
        smsc,
        connector,
        _,
    ):
        outcomes = await connector.submit([message(1), message(2)])
        assert [o.status for o in outcomes] == [QUEUED, QUEUED]
        assert outcomes[0].error is not None and "no response" in outcomes[0].error
        await wait_until(lambda: smsc.connections == 2 and connector.status().bound)
        script.silent = False
        (again,) = await connector.submit([message(1)])

    assert again.status is SENT
    assert [p.user_message_reference for p in smsc.submits] == [1, 2, 1]  # SMSC can dedupe
    assert connector.status().extra["timeouts"] >= 1


async def test_submit_timeout_with_fail_policy_rejects() -> None:
    async with running(Script(silent=True), response_timeout_s=0.1, timeout_policy="fail") as (
        smsc,
        connector,
        _,
    ):
        (outcome,) = await connector.submit([message(1)])
        assert connector.status().bound

    assert (outcome.status, outcome.error) == (MessageStatus.REJECTED, "no response")
    assert smsc.connections == 1


async def test_submit_text_too_long_for_255_parts_is_rejected() -> None:
    async with running() as (smsc, connector, _):
        (outcome,) = await connector.submit([message(1, "x" * 153 * 256)])

    assert outcome.status is MessageStatus.REJECTED
    assert outcome.error is not None and "255" in outcome.error
    assert smsc.submits == []
