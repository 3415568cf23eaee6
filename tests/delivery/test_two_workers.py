"""Two `relais serve` processes on one PostgreSQL share the queue against one SMPP simulator:
each bind has one owner at a time, every message is submitted exactly once, and when a
worker dies the other takes its binds over and finishes the job."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import pytest
from sqlalchemy import func, select
from tests.support import fetch_value, free_port, make_customer

from relais.services import connectors as connector_service
from relais.services.sending.numbers import Recipient, Submission, send
from relais.smsc_simulator.config import SimulatorConfig
from relais.smsc_simulator.server import SmscSimulator
from relais.store import connectors as connector_store
from relais.store.tables import messages


@pytest.fixture
def postgres_only(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes sharing one queue is the PostgreSQL deployment")
    return database_url


def start_worker(database_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "RELAIS_DATABASE_URL": database_url,
        "RELAIS_PORT": str(free_port()),
        "RELAIS_BUILTIN_SIMULATOR": "false",
        "RELAIS_BIND_LEASE_SECONDS": "2",
        "RELAIS_RECONCILE_SECONDS": "0.3",
        "RELAIS_CLAIM_LEASE_SECONDS": "3",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "relais", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: granian's worker dies with it
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def delivered(platform) -> int:
    return await fetch_value(platform, select(func.count()).where(messages.c.status == "delivered"))


async def wait_for_delivered(platform, count: int, seconds: float = 60) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while await delivered(platform) < count:
        if asyncio.get_running_loop().time() > deadline:
            by_status = await platform.db.read(
                lambda conn: conn.execute(
                    select(messages.c.connector, messages.c.status, func.count()).group_by(
                        messages.c.connector, messages.c.status
                    )
                ).all()
            )
            leases = await platform.db.read(connector_store.lease_holders)
            raise AssertionError(f"not all delivered: {by_status} {leases}")
        await asyncio.sleep(0.2)


async def configure(platform, port: int, **settings) -> None:
    for name, prefix in (("smsc-a", "3361"), ("smsc-b", "3362")):
        await connector_service.put_connector(
            platform,
            actor="test",
            name=name,
            kind="smpp",
            settings={
                "host": "127.0.0.1",
                "port": port,
                "system_id": name,
                "window": 20,
                **settings,
            },
        )
        await connector_service.add_route(platform, actor="test", connector=name, prefix=prefix)


async def queue(platform, count: int) -> None:
    customer = await make_customer(platform, credits=10 * count)
    half = count // 2
    recipients = [Recipient(f"3361{i:07d}") for i in range(half)]
    recipients += [Recipient(f"3362{i:07d}") for i in range(count - half)]
    for first in range(0, count, 500):
        await send(
            platform,
            account=customer.account,
            submission=Submission("Shared queue", recipients[first : first + 500]),
        )


async def test_two_workers_submit_every_message_exactly_once(platform, postgres_only):
    # No deduplication at the SMSC: a message submitted twice would be seen twice.
    async with SmscSimulator(SimulatorConfig(dedupe_user_message_reference=False)) as smsc:
        await configure(platform, smsc.port)
        await queue(platform, 2000)
        workers = [start_worker(postgres_only), start_worker(postgres_only)]
        try:
            await wait_for_delivered(platform, 2000)
            holders = await platform.db.read(connector_store.lease_holders)
        finally:
            for worker in workers:
                stop(worker)
        assert smsc.counters.accepted == 2000
        assert len({entry.destination for entry in smsc.accepted}) == 2000
        assert set(holders) == {"smsc-a", "smsc-b"}


async def test_a_dead_workers_binds_are_taken_over(platform, postgres_only):
    async with SmscSimulator(SimulatorConfig(receipt_delay_ms=5)) as smsc:
        # Capped at 400 submits/s per bind, so the crash lands in the middle of the work.
        await configure(platform, smsc.port, throughput_per_second=400)

        async def owners() -> set[str]:
            leases = await platform.db.read(connector_store.lease_holders)
            return {lease.owner for lease in leases.values()}

        await queue(platform, 4000)
        first = start_worker(postgres_only)
        try:
            deadline = asyncio.get_running_loop().time() + 30
            while await delivered(platform) < 300:
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.1)
            first_owners = await owners()
        finally:
            stop(first, signal.SIGKILL)  # no unbind, no lease release: a crash
        assert await delivered(platform) < 4000
        second = start_worker(postgres_only)
        try:
            await wait_for_delivered(platform, 4000, seconds=90)
            second_owners = await owners()
        finally:
            stop(second)
        assert len(first_owners) == 1 and len(second_owners) == 1
        assert first_owners != second_owners
        # Resubmits of messages the dead worker had in flight are recognised by their
        # user_message_reference, so every message reached the carrier once.
        assert smsc.counters.accepted == 4000
