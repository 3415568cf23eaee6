"""Measure the simulator alone: it runs in its own process (`python -m relais.smsc_simulator`),
the load comes from this one, over loopback.

    .venv/bin/python -m tests.smsc_simulator.bench_smsc --count 100000 --connections 2 --window 200

Prints submits/s (until the last submit_sm_resp), receipts/s (until the last receipt) and the
simulator's CPU time per second of wall clock (1.0 = one core saturated).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import subprocess
import sys
import time

import psutil
from tests.smsc_simulator.esme import SUBMIT, Esme

from relais.smpp import SubmitSm


async def load(port: int, count: int, connections: int, window: int) -> tuple[float, float]:
    clients = [await Esme.connect(port) for _ in range(connections)]
    for client in clients:
        await client.bind("trx")
    share = count // connections
    started = time.perf_counter()

    async def one(client: Esme) -> float:
        answers = await client.submit_many((SubmitSm(**SUBMIT) for _ in range(share)), window)
        assert all(answer.command_status == 0 for answer in answers)
        return time.perf_counter()

    submitted = max(await asyncio.gather(*(one(client) for client in clients)))
    # Receipts go to any receiver of the account, not necessarily the session that submitted.
    expected = share * connections

    def all_in() -> bool:
        return sum(len(client.delivers) for client in clients) >= expected

    waits = [asyncio.create_task(client.until(all_in, 120)) for client in clients]
    done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(*done)  # raises the TimeoutError, if that is what ended the wait
    received = time.perf_counter()
    for client in clients:
        await client.close()
    return submitted - started, received - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=2)
    parser.add_argument("--window", type=int, default=200)
    parser.add_argument("--receipt-delay-ms", default="0")
    args = parser.parse_args()
    delay = args.receipt_delay_ms
    server = subprocess.Popen(
        [sys.executable, "-m", "relais.smsc_simulator", "--port", "0", "--receipt-delay-ms", delay],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline()
        port = int(re.search(r":(\d+) ", banner).group(1))  # type: ignore[union-attr]
        process = psutil.Process(server.pid)
        cpu_before = sum(process.cpu_times()[:2])
        try:
            import uvloop

            runner = asyncio.Runner(loop_factory=uvloop.new_event_loop)
        except ImportError:
            runner = asyncio.Runner()
        with runner:
            submit_s, receipt_s = runner.run(load(port, args.count, args.connections, args.window))
        cpu = sum(process.cpu_times()[:2]) - cpu_before
        total = args.count // args.connections * args.connections
        print(
            f"{total} submits over {args.connections} connections, window {args.window}: "
            f"{total / submit_s:,.0f} submits/s, {total / receipt_s:,.0f} receipts/s, "
            f"simulator CPU {cpu / receipt_s:.2f} core"
        )
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(10)


if __name__ == "__main__":
    main()
