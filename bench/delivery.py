"""End-to-end delivery benchmark: queued -> submitted over SMPP -> receipt -> status stored.

The SMPP carrier simulator (`relais smsc-simulator`) runs in its own process on loopback;
this process holds the database and runs the dispatcher with one SMPP connector, as
`relais serve` would. N messages are queued first (timed separately), then the clock runs
from the dispatcher's start until every message is DELIVERED in the database.

    .venv/bin/python bench/delivery.py [--backend sqlite|postgresql|both] [--messages 50000]
        [--analyze]

--analyze runs ANALYZE once the messages are queued: a database in service has planner
statistics, a fresh one has none until autovacuum's next pass (up to a minute on
PostgreSQL), and its plans differ meanwhile (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from sqlalchemy import func, select

from relais.config import Settings
from relais.delivery.connectors.factory import build_connector
from relais.delivery.dispatcher import Dispatcher
from relais.services import accounts
from relais.services import connectors as connector_service
from relais.services.platform import Platform
from relais.services.sending.numbers import Recipient, Submission, send
from relais.store.migrate import upgrade
from relais.store.tables import messages

sys.path.insert(0, str(Path(__file__).parent))
from harness import POSTGRES_URL, free_port, reset_postgres


def start_simulator(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "relais",
            "smsc-simulator",
            "--port",
            str(port),
            "--system-id",
            "bench",
            "--password",
            "bench",
            "--receipt-delay-ms",
            "0",
            "--deliver-window",
            os.environ.get("BENCH_DELIVER_WINDOW", "100"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if "listening" not in line:
        raise SystemExit(f"SMSC simulator did not start: {line}")
    return process


async def delivered(platform: Platform) -> int:
    return await platform.db.read(
        lambda conn: conn.execute(
            select(func.count()).where(messages.c.status == "delivered")
        ).scalar_one()
    )


async def run(backend: str, count: int, window: int, workdir: Path, analyze: bool) -> str:
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'delivery.db'}"
    else:
        await reset_postgres()
        url = POSTGRES_URL
    await upgrade(url)
    platform = Platform.open(Settings(database_url=url, dispatcher_enabled=False))
    port = free_port()
    simulator = start_simulator(port)
    try:
        await accounts.create_account(
            platform,
            actor="bench",
            email="bench@relais.local",
            password="benchmark",
            credits=10 * count,
        )
        account = await accounts.find_account(platform, email="bench@relais.local")
        await connector_service.put_connector(
            platform,
            actor="bench",
            name="smsc",
            kind="smpp",
            settings={
                "host": "127.0.0.1",
                "port": port,
                "system_id": "bench",
                "password": "bench",
                "window": window,
            },
        )
        await connector_service.add_route(platform, actor="bench", connector="smsc")
        started = time.perf_counter()
        for first in range(0, count, 500):
            size = min(500, count - first)
            recipients = [Recipient(f"336{10000000 + first + i:08d}") for i in range(size)]
            await send(platform, account=account, submission=Submission("Bench", recipients))
        queued_s = time.perf_counter() - started
        if analyze:
            await platform.db.read(lambda conn: conn.exec_driver_sql("ANALYZE"))

        me = psutil.Process()
        sim = psutil.Process(simulator.pid)
        cpu_me, cpu_sim = me.cpu_times(), sim.cpu_times()
        dispatcher = Dispatcher(platform, factory=build_connector, builtin=None)
        platform.on_queued = dispatcher.wake
        started = time.perf_counter()
        await dispatcher.start()
        try:
            while (done := await delivered(platform)) < count:
                if time.perf_counter() - started > 600:
                    raise SystemExit(f"only {done} of {count} delivered after 600 s")
                await asyncio.sleep(0.2)
            elapsed = time.perf_counter() - started
        finally:
            await dispatcher.stop()
        used_me = sum(me.cpu_times()[:2]) - sum(cpu_me[:2])
        used_sim = sum(sim.cpu_times()[:2]) - sum(cpu_sim[:2])
        return (
            f"{backend:10s} {count} messages, window {window}: "
            f"{count / elapsed:8.0f} delivered/s end to end ({elapsed:.1f} s); "
            f"relais CPU {used_me / elapsed:.0%} ({used_me / count * 1e6:.0f} µs a message), "
            f"simulator CPU {used_sim / elapsed:.0%}; "
            f"queueing took {queued_s:.1f} s"
        )
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)
        await platform.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--window", type=int, default=100)
    parser.add_argument("--analyze", action="store_true", help="ANALYZE once queued")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(f"relais end-to-end delivery over SMPP, {os.cpu_count()} cores")
    for backend in backends:
        with tempfile.TemporaryDirectory() as tmp:
            print(
                asyncio.run(run(backend, args.messages, args.window, Path(tmp), args.analyze)),
                flush=True,
            )


if __name__ == "__main__":
    main()
