"""`relais serve` roles as real processes: an API-only process queues and delivers nothing, a
delivery process beside it delivers what was queued, and the delivery process `relais serve`
keeps beside its HTTP workers comes back when it dies."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import httpx
from tests.support import free_port, kill, make_customer, serving_process, wait_until


async def send(base: str, token: str) -> int:
    async with httpx.AsyncClient(
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    ) as client:
        sent = (
            await client.get(base + "/send", params={"to": "33612345678", "text": "Hello"})
        ).json()
    assert sent["status"] == 1, sent
    return sent["ticket"]


async def delivered(base: str, token: str, ticket: int) -> bool:
    async with httpx.AsyncClient(
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    ) as client:
        campaign = (await client.get(f"{base}/campaign/{ticket}")).json()
    return campaign["campaign"][0]["delivered"] == "1"


def children_of(pid: int) -> dict[int, str]:
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if parent == pid:
            found[int(entry)] = command
    return found


def delivery_child(pid: int) -> int | None:
    return next(
        (child for child, cmd in children_of(pid).items() if "--role delivery" in cmd), None
    )


async def test_an_api_process_queues_and_a_delivery_process_delivers(platform, database_url):
    shop = await make_customer(platform)
    port = free_port()
    api = await serving_process(database_url, port, args=("--role", "api"))
    base = f"http://127.0.0.1:{port}"
    try:
        assert delivery_child(api.pid) is None
        ticket = await send(base, shop.token)
        await asyncio.sleep(2)
        assert not await delivered(base, shop.token, ticket)
        deliverer = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "relais", "serve", "--role", "delivery", "--no-migrate"),
            env={
                **os.environ,
                "RELAIS_DATABASE_URL": database_url,
                "RELAIS_SIMULATOR_RECEIPT_DELAY_MS": "50",
            },
        )
        try:
            await wait_until(lambda: delivered(base, shop.token, ticket), seconds=30)
        finally:
            deliverer.terminate()
            assert await asyncio.wait_for(deliverer.wait(), 20) == 0  # a clean stop on SIGTERM
    finally:
        kill(api, signal.SIGTERM)
        await api.wait()


async def test_serve_restarts_its_delivery_process_when_it_dies(platform, database_url):
    shop = await make_customer(platform)
    port = free_port()
    server = await serving_process(database_url, port, RELAIS_SIMULATOR_RECEIPT_DELAY_MS="50")
    base = f"http://127.0.0.1:{port}"
    try:
        first = delivery_child(server.pid)
        assert first is not None
        os.kill(first, signal.SIGKILL)

        async def replaced() -> bool:
            return delivery_child(server.pid) not in (None, first)

        await wait_until(replaced, seconds=20)
        ticket = await send(base, shop.token)
        await wait_until(lambda: delivered(base, shop.token, ticket), seconds=30)
    finally:
        kill(server, signal.SIGTERM)
        await server.wait()
    assert server.returncode == 0


async def test_a_server_killed_with_9_leaves_no_worker_behind(database_url):
    """Its HTTP workers and delivery process die with it: none keeps holding the port (a new
    server could not start) or writing to the database."""
    port = free_port()
    server = await serving_process(database_url, port)
    survivors = set(children_of(server.pid))
    assert delivery_child(server.pid) is not None
    assert len(survivors) >= 2  # at least one HTTP worker and the delivery process
    os.kill(server.pid, signal.SIGKILL)
    await server.wait()

    async def all_gone() -> bool:
        return all(gone(pid) for pid in survivors)

    try:
        await wait_until(all_gone, seconds=20)
    finally:
        kill(server, signal.SIGKILL)  # the group, should the test fail
    # No check of the port itself: once freed, another test worker may be given it.


def gone(pid: int) -> bool:
    """Exited (a zombie waiting for init to reap it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True
