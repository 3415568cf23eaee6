"""A retried submit carrying the same user_message_reference gets its first id back."""

from __future__ import annotations

import asyncio
import dataclasses

from tests.smsc_simulator.conftest import Connect, StartSmsc
from tests.smsc_simulator.esme import SUBMIT, long_message

from relais.smpp import SubmitSm, make_tlvs


def with_reference(reference: int, **fields: object) -> dict[str, object]:
    return {"tlvs": make_tlvs(user_message_reference=reference), **fields}


async def test_dedupe_same_reference_same_id_counted_once(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    first = await esme.submit(**with_reference(42))
    retry = await esme.submit(**with_reference(42))
    assert retry.command_status == 0
    assert retry.message_id == first.message_id
    await esme.wait_delivers(1)
    await esme.quiet(0.1)
    assert len(esme.receipts) == 1
    assert len(smsc.accepted) == smsc.counters.accepted == 1
    assert smsc.counters.duplicates == 1
    assert smsc.accepted[0].user_message_reference == 42


async def test_dedupe_retry_on_new_connection_after_lost_response(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(disconnect_after=1)
    esme = await connect(smsc)
    esme.send(SubmitSm(**SUBMIT, **with_reference(7)))
    await esme.until(lambda: esme.closed)
    again = await connect(smsc)
    retry = await again.submit(**with_reference(7))
    assert retry.message_id == smsc.accepted[0].message_id
    assert smsc.counters.accepted == 1


async def test_dedupe_key_includes_addresses(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    one = await esme.submit(**with_reference(1, destination_addr="33600000001"))
    two = await esme.submit(**with_reference(1, destination_addr="33600000002"))
    three = await esme.submit(**with_reference(1, source_addr="Other"))
    assert len({one.message_id, two.message_id, three.message_id}) == 3


async def test_dedupe_parts_of_one_message_keep_their_own_ids(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc()
    esme = await connect(smsc)
    parts = [
        dataclasses.replace(part, tlvs=make_tlvs(user_message_reference=5, extra=part.tlvs))
        for part in long_message("udh")
    ]
    first = [answer.message_id for answer in await esme.submit_many(parts)]
    retried = [answer.message_id for answer in await esme.submit_many(parts)]
    assert len(set(first)) == 3
    assert retried == first
    assert smsc.counters.duplicates == 3


async def test_dedupe_off_accepts_twice(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc(dedupe_user_message_reference=False)
    esme = await connect(smsc)
    first = await esme.submit(**with_reference(42))
    again = await esme.submit(**with_reference(42))
    assert first.message_id != again.message_id
    assert smsc.counters.duplicates == 0


async def test_dedupe_forgets_after_its_window(start_smsc: StartSmsc, connect: Connect) -> None:
    smsc = await start_smsc(dedupe_window_s=0.1)
    esme = await connect(smsc)
    first = await esme.submit(**with_reference(42))
    await asyncio.sleep(0.2)
    later = await esme.submit(**with_reference(42))
    assert later.message_id != first.message_id
