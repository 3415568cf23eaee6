"""Throughput smoke: thousands of pipelined submits with receipts complete, none lost.

No timing is asserted (machines differ); the rate is printed for `pytest -s`.
`tests/smsc_simulator/bench_smsc.py` measures the simulator alone, with the client in another
process.
"""

from __future__ import annotations

import time

from tests.smsc_simulator.conftest import Connect, StartSmsc
from tests.smsc_simulator.esme import SUBMIT

from relais.smpp import SubmitSm

COUNT = 5_000


async def test_throughput_5000_submits_window_100_with_receipts(
    start_smsc: StartSmsc, connect: Connect
) -> None:
    smsc = await start_smsc(history_limit=1_000)
    esme = await connect(smsc)
    started = time.perf_counter()
    answers = await esme.submit_many((SubmitSm(**SUBMIT) for _ in range(COUNT)), window=100)
    submitted = time.perf_counter()
    await esme.wait_delivers(COUNT, timeout_s=60)
    done = time.perf_counter()
    assert [a.command_status for a in answers] == [0] * COUNT
    assert len({a.message_id for a in answers}) == COUNT
    assert {r.id for r in esme.receipts} == {a.message_id for a in answers}
    counters = smsc.counters
    assert (counters.accepted, counters.receipts_sent) == (COUNT, COUNT)
    await smsc.wait_for(lambda: smsc.counters.delivers_acked == COUNT)
    assert len(smsc.accepted) == 1_000  # history_limit keeps the newest
    print(
        f"\n{COUNT} submits in {submitted - started:.2f} s "
        f"({COUNT / (submitted - started):,.0f}/s), all receipts after {done - started:.2f} s "
        "(client and simulator on one event loop)"
    )
