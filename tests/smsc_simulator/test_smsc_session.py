"""Session commands: enquire_link, unbind, unknown and broken PDUs, stop()."""

from __future__ import annotations

from tests.smsc_simulator.conftest import Connect, StartSmsc
from tests.smsc_simulator.esme import SUBMIT, exchange_raw

from relais.smpp import (
    BindTransceiver,
    CommandStatus,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    State,
    SubmitSm,
    Unbind,
    UnbindResp,
    UnknownPdu,
)
from relais.smsc_simulator import SmscSimulator

QUERY_SM = 0x00000003  # a command relais.smpp does not model


async def test_session_enquire_link_is_answered_bound_or_not(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc, bind=None)
    assert isinstance(await esme.request(EnquireLink()), EnquireLinkResp)
    await esme.bind()
    answer = await esme.request(EnquireLink())
    assert isinstance(answer, EnquireLinkResp) and answer.command_status == 0


async def test_session_unbind_is_answered_then_closed(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    answer = await esme.request(Unbind())
    assert isinstance(answer, UnbindResp) and answer.command_status == 0
    assert esme.conn.state is State.CLOSED
    await esme.until(lambda: esme.closed)
    assert smsc.counters.unbinds == 1
    await smsc.wait_for(lambda: smsc.sessions == [])


async def test_session_unknown_command_gets_generic_nack(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    answer = await esme.request(UnknownPdu(command_id=QUERY_SM, body=b"1\x00\x00\x00\x00"))
    assert isinstance(answer, GenericNack)
    assert answer.command_status == CommandStatus.ESME_RINVCMDID
    assert (await esme.submit()).command_status == 0  # the session goes on
    assert smsc.counters.generic_nacks == 1


async def test_session_unframeable_stream_gets_generic_nack_and_close(
    start_smsc: StartSmsc,
) -> None:
    smsc = await start_smsc()
    garbage = (5).to_bytes(4, "big") + bytes(12)  # command_length 5 cannot be
    received = await exchange_raw(smsc.port, garbage, expect=2)
    assert len(received) == 1
    assert isinstance(received[0], GenericNack)
    assert received[0].command_status == CommandStatus.ESME_RINVCMDLEN


async def test_session_unreadable_body_is_refused_and_session_goes_on(
    start_smsc: StartSmsc,
) -> None:
    smsc = await start_smsc()
    bind = BindTransceiver(sequence_number=1, system_id="relais")
    truncated = (20).to_bytes(4, "big") + (4).to_bytes(4, "big") + bytes(4) + (2).to_bytes(4, "big")
    truncated += b"\x00\x00\x00\x00"  # a submit_sm body cut after four octets
    enquire = EnquireLink(sequence_number=3)
    answers = await exchange_raw(smsc.port, bind, truncated, enquire, expect=3)
    assert [type(answer).__name__ for answer in answers] == [
        "BindTransceiverResp",
        "SubmitSmResp",
        "EnquireLinkResp",
    ]
    assert answers[1].command_status == CommandStatus.ESME_RINVCMDLEN


async def test_session_stop_unbinds_bound_sessions(connect: Connect) -> None:
    smsc = SmscSimulator()
    await smsc.start()
    bound = await connect(smsc)
    idle = await connect(smsc, bind=None)
    await smsc.stop()
    assert bound.unbound_by_peer
    await bound.until(lambda: bound.closed)
    await idle.until(lambda: idle.closed)
    assert smsc.sessions == []


async def test_session_context_manager_starts_and_stops(connect: Connect) -> None:
    async with SmscSimulator(seed=1) as smsc:
        esme = await connect(smsc)
        assert (await esme.submit(**{**SUBMIT, "registered_delivery": 0})).command_status == 0
    await esme.until(lambda: esme.closed)


async def test_session_pipelined_submits_are_all_answered(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    answers = await esme.submit_many([SubmitSm(**SUBMIT) for _ in range(50)], window=50)
    assert [a.command_status for a in answers] == [0] * 50
    assert len({a.message_id for a in answers}) == 50
