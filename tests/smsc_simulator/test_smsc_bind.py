"""Binds: credentials, bind kinds, the per-account bind limit."""

from __future__ import annotations

import pytest
from tests.smsc_simulator.conftest import Connect, StartSmsc
from tests.smsc_simulator.esme import SUBMIT, exchange_raw

from relais.smpp import (
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitterResp,
    CommandStatus,
    State,
    SubmitSm,
    SubmitSmResp,
)


@pytest.mark.parametrize(
    ("kind", "response", "state"),
    [
        ("tx", BindTransmitterResp, State.BOUND_TX),
        ("rx", BindReceiverResp, State.BOUND_RX),
        ("trx", BindTransceiverResp, State.BOUND_TRX),
    ],
)
async def test_bind_with_right_credentials_is_accepted(
    start_smsc: StartSmsc, connect: Connect, kind: str, response: type, state: State
) -> None:
    smsc = await start_smsc(system_id="relais", password="secret")
    esme = await connect(smsc, bind=None)
    answer = await esme.bind(kind, system_id="relais", password="secret")  # type: ignore[arg-type]
    assert isinstance(answer, response)
    assert answer.command_status == CommandStatus.ESME_ROK
    assert answer.system_id == "RelaisSim"
    assert answer.sc_interface_version == 0x34
    assert esme.conn.state is state
    assert smsc.counters.binds == 1


async def test_bind_wrong_password_is_refused_and_may_retry(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(system_id="relais", password="secret")
    esme = await connect(smsc, bind=None)
    answer = await esme.bind("trx", system_id="relais", password="wrong")
    assert answer.command_status == CommandStatus.ESME_RINVPASWD
    assert esme.conn.state is State.OPEN
    retry = await esme.bind("trx", system_id="relais", password="secret")
    assert retry.command_status == CommandStatus.ESME_ROK
    assert (smsc.counters.bind_failures, smsc.counters.binds) == (1, 1)


async def test_bind_unknown_system_id_is_refused(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc(system_id="relais", password="secret")
    esme = await connect(smsc, bind=None)
    answer = await esme.bind("tx", system_id="someone", password="secret")
    assert answer.command_status == CommandStatus.ESME_RBINDFAIL


async def test_bind_any_credentials_when_none_configured(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc, bind=None)
    answer = await esme.bind("trx", system_id="whoever", password="x")
    assert answer.command_status == CommandStatus.ESME_ROK


async def test_bind_over_max_binds_is_refused_until_one_unbinds(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(max_binds=2)
    first = await connect(smsc, bind="tx")
    await connect(smsc, bind="rx")
    third = await connect(smsc, bind=None)
    refused = await third.bind("trx")
    assert refused.command_status == CommandStatus.ESME_RALYBND
    other_account = await connect(smsc, bind=None)
    assert (await other_account.bind("trx", system_id="other")).command_status == 0
    await first.close()
    await smsc.wait_for(lambda: len([s for s in smsc.sessions if s.attached]) == 2)
    assert (await third.bind("trx")).command_status == CommandStatus.ESME_ROK


async def test_bind_max_binds_status_is_configurable(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(max_binds=1, max_binds_status=CommandStatus.ESME_RBINDFAIL)
    await connect(smsc)
    second = await connect(smsc, bind=None)
    assert (await second.bind("trx")).command_status == CommandStatus.ESME_RBINDFAIL


async def test_bind_twice_on_one_session_is_already_bound(start_smsc: StartSmsc) -> None:
    smsc = await start_smsc()
    answers = await exchange_raw(
        smsc.port,
        BindTransceiver(sequence_number=1, system_id="relais"),
        BindTransceiver(sequence_number=2, system_id="relais"),
        expect=2,
    )
    assert [a.command_status for a in answers] == [0, CommandStatus.ESME_RALYBND]


async def test_bind_submit_before_bind_is_refused(start_smsc: StartSmsc) -> None:
    smsc = await start_smsc()
    (answer,) = await exchange_raw(smsc.port, SubmitSm(sequence_number=7, **SUBMIT), expect=1)
    assert isinstance(answer, SubmitSmResp)
    assert answer.sequence_number == 7
    assert answer.command_status == CommandStatus.ESME_RINVBNDSTS
    assert smsc.counters.submits == 0
