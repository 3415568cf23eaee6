"""Inbound SMS injected by the simulator: single, concatenated, shuffled, STOP."""

from __future__ import annotations

import pytest
from tests.smsc_simulator.conftest import Connect, StartSmsc

from relais.smpp import (
    DataCoding,
    EsmClass,
    Reassembler,
    Ton,
    fragment_of,
    message_text,
)

TEXT = "Bonjour, je confirme le rendez-vous de demain. " * 5  # 240 characters


def reassemble(pdus) -> str | None:
    joined, text = Reassembler(), None
    for pdu in pdus:
        fragment = fragment_of(pdu)
        assert fragment is not None
        text = joined.add(
            source=pdu.source_addr, fragment=fragment, data_coding=pdu.data_coding, now=0
        )
    return text


async def test_mo_single_sms_reaches_the_receiver(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    sent = await smsc.inject_mo(source="+33612345678", destination="36000", text="Hello")
    (pdu,) = await esme.wait_delivers(1)
    assert len(sent) == 1
    assert (pdu.source_addr, pdu.source_addr_ton, pdu.destination_addr) == (
        "33612345678",
        Ton.INTERNATIONAL,
        "36000",
    )
    assert pdu.esm_class == 0 and pdu.data_coding == DataCoding.DEFAULT
    assert message_text(pdu) == "Hello"
    assert esme.receipts == []
    assert smsc.counters.mo_sent == 1


async def test_mo_unicode_text_goes_as_ucs2(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    await smsc.inject_mo(source="33612345678", destination="36000", text="Merci 👍")
    (pdu,) = await esme.wait_delivers(1)
    assert pdu.data_coding == DataCoding.UCS2
    assert message_text(pdu) == "Merci 👍"


@pytest.mark.parametrize("method", ["udh", "sar"])
async def test_mo_long_text_comes_in_parts(
    start_smsc: StartSmsc, connect: Connect, method: str
) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    await smsc.inject_mo(source="33612345678", destination="36000", text=TEXT, method=method)  # type: ignore[arg-type]
    pdus = await esme.wait_delivers(2)
    assert [fragment_of(pdu).seqnum for pdu in pdus] == [1, 2]  # type: ignore[union-attr]
    assert bool(pdus[0].esm_class & EsmClass.UDHI) is (method == "udh")
    assert reassemble(pdus) == TEXT


async def test_mo_forced_parts_shuffled_arrive_out_of_order(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(seed=3)
    esme = await connect(smsc)
    await smsc.inject_mo(
        source="33612345678", destination="36000", text="Un petit texte", parts=3, shuffle=True
    )
    pdus = await esme.wait_delivers(3)
    order = [fragment_of(pdu).seqnum for pdu in pdus]  # type: ignore[union-attr]
    assert sorted(order) == [1, 2, 3] and order != [1, 2, 3]
    assert reassemble(pdus) == "Un petit texte"


async def test_mo_parts_that_cannot_hold_the_text_are_refused(start_smsc: StartSmsc) -> None:
    smsc = await start_smsc()
    with pytest.raises(ValueError, match="parts"):
        await smsc.inject_mo(source="336", destination="36000", text="x" * 400, parts=2)
    with pytest.raises(ValueError, match="parts"):
        await smsc.inject_mo(source="336", destination="36000", text="ab", parts=3)


async def test_mo_stop_keyword(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    await smsc.inject_stop("33612345678", "36000")
    (pdu,) = await esme.wait_delivers(1)
    assert message_text(pdu) == "STOP"
    assert pdu.source_addr == "33612345678"


async def test_mo_waits_for_a_receiver_and_skips_transmitters(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(system_id="relais")
    transmitter = await connect(smsc, bind="tx")
    await smsc.inject_mo(source="33612345678", destination="36000", text="Anyone?")
    assert smsc.queued == 1
    receiver = await connect(smsc, bind="rx")
    (pdu,) = await receiver.wait_delivers(1)
    assert message_text(pdu) == "Anyone?"
    assert transmitter.delivers == []


async def test_mo_to_a_named_system_id(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc()
    alice = await connect(smsc, system_id="alice")
    bob = await connect(smsc, system_id="bob")
    await smsc.inject_mo(source="336", destination="36000", text="for bob", system_id="bob")
    await bob.wait_delivers(1)
    assert alice.delivers == []
