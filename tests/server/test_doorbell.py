"""The doorbell between the processes of one machine: a ring from an API process wakes the
delivery process at once, many rings in one loop turn are one datagram, and a socket left by
a dead process is cleared by the first ring that finds it."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from relais.server import doorbell
from relais.server.doorbell import Bell, Doorbell, doorbell_dir


class Listener:
    def __init__(self, directory: Path) -> None:
        self.queued = 0
        self.events = 0
        self.doorbell = Doorbell(directory, on_queued=self._queued, on_events=self._events)

    def _queued(self) -> None:
        self.queued += 1

    def _events(self) -> None:
        self.events += 1


def names(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_a_ring_wakes_the_delivery_process_for_what_was_rung(tmp_path: Path):
    listener = Listener(tmp_path / "bell")
    listener.doorbell.open()
    bell = Bell(tmp_path / "bell")
    try:
        bell.ring_queued()
        await settle()
        assert (listener.queued, listener.events) == (1, 0)
        bell.ring_events()
        await settle()
        assert (listener.queued, listener.events) == (1, 1)
    finally:
        bell.close()
        listener.doorbell.close()
    assert not (tmp_path / "bell" / listener.doorbell.path.name).exists()


async def test_rings_of_one_loop_turn_are_one_wake_up(tmp_path: Path):
    listener = Listener(tmp_path)
    listener.doorbell.open()
    bell = Bell(tmp_path)
    try:
        for _ in range(500):
            bell.ring_queued()
            bell.ring_events()
        await settle()
        assert (listener.queued, listener.events) == (1, 1)
    finally:
        bell.close()
        listener.doorbell.close()


async def test_rings_closer_than_the_interval_are_one_wake_up_at_its_end(
    tmp_path: Path, monkeypatch
):
    interval = 0.3  # longer than RING_INTERVAL_S, so that a slow machine keeps the rings within it
    monkeypatch.setattr(doorbell, "RING_INTERVAL_S", interval)
    listener = Listener(tmp_path)
    listener.doorbell.open()
    bell = Bell(tmp_path)
    try:
        bell.ring_queued()
        await asyncio.sleep(0.002)
        assert listener.queued == 1  # the first at once
        for _ in range(3):  # then rings of later loop turns, within the interval
            bell.ring_queued()
            await asyncio.sleep(0.001)
        assert listener.queued == 1
        await asyncio.sleep(interval + 0.1)
        assert listener.queued == 2  # held back, not lost
    finally:
        bell.close()
        listener.doorbell.close()


async def test_a_dead_process_socket_is_removed_and_the_living_still_rung(tmp_path: Path):
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(tmp_path / "999999"))
    dead.close()  # its file stays, as after kill -9
    listener = Listener(tmp_path)
    listener.doorbell.open()
    bell = Bell(tmp_path)
    try:
        bell.ring_queued()
        await settle()
        assert listener.queued == 1
        assert names(tmp_path) == [listener.doorbell.path.name]
    finally:
        bell.close()
        listener.doorbell.close()


async def test_a_ring_with_no_delivery_process_is_harmless(tmp_path: Path):
    bell = Bell(tmp_path / "nobody")
    try:
        bell.ring_queued()
        await settle()
    finally:
        bell.close()
    assert not (tmp_path / "nobody").exists()


def test_each_database_has_its_own_doorbell():
    one = doorbell_dir("sqlite:///a.db")
    assert one == doorbell_dir("sqlite:///a.db")
    assert one != doorbell_dir("postgresql://127.0.0.1/relais")
    assert len(str(one / "4194304")) < 100  # AF_UNIX paths are limited to 108 bytes
