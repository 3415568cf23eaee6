"""Wake-ups between the processes of one machine: an API process that committed messages
due now, or webhook events, rings; the delivery processes wake at once instead of at their
next poll.

Each delivery process binds a Unix datagram socket in a directory named after the database;
a ring is one datagram to each of them, at most one per event-loop turn and one per
RING_INTERVAL_S: under load an API process committed a group every few milliseconds and
rang each time (5 % of its main thread), while a woken deliverer lingers 50 ms to claim a
batch anyway. A lost ring costs only latency: deliverers still poll (a quarter to half a
second). Processes on other machines are not rung and rely on that poll."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

QUEUED = b"q"  # messages due now were committed
EVENTS = b"e"  # webhook events were committed

# How long a ringer trusts its list of deliverers before reading the directory again.
LISTING_TTL_S = 1.0
# Rings closer together than this go out as one, at the end of the interval; a ring after a
# quiet interval goes out at once.
RING_INTERVAL_S = 0.01


def doorbell_dir(database_url: str) -> Path:
    """One directory per database on this machine (short: socket paths are limited)."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"relais-doorbell-{digest}"


class Doorbell:
    """The deliverer's side: calls `on_queued` / `on_events` when an API process rings."""

    def __init__(
        self, directory: Path, *, on_queued: Callable[[], None], on_events: Callable[[], None]
    ) -> None:
        self.directory = directory
        self.on_queued = on_queued
        self.on_events = on_events
        self.path = directory / str(os.getpid())
        self._socket: socket.socket | None = None

    def open(self) -> None:
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # a dead process with the same pid left it
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.bind(str(self.path))
        self._socket = sock
        asyncio.get_running_loop().add_reader(sock.fileno(), self._rung)

    def close(self) -> None:
        if self._socket is None:
            return
        asyncio.get_running_loop().remove_reader(self._socket.fileno())
        self._socket.close()
        self._socket = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _rung(self) -> None:
        assert self._socket is not None
        rings = b""
        with contextlib.suppress(BlockingIOError, InterruptedError):
            for _ in range(1024):
                rings += self._socket.recv(16)
        if QUEUED in rings:
            self.on_queued()
        if EVENTS in rings:
            self.on_events()


class Bell:
    """The API process's side: `ring_queued` and `ring_events` after a commit."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._socket.setblocking(False)
        self._pending = b""
        self._sent_at = float("-inf")
        self._deliverers: list[str] = []
        self._listed_at = float("-inf")

    def ring_queued(self) -> None:
        self._ring(QUEUED)

    def ring_events(self) -> None:
        self._ring(EVENTS)

    def close(self) -> None:
        self._socket.close()

    def _ring(self, what: bytes) -> None:
        if what in self._pending:
            return
        if not self._pending:
            loop = asyncio.get_running_loop()
            wait = self._sent_at + RING_INTERVAL_S - time.monotonic()
            if wait > 0:
                loop.call_later(wait, self._send)
            else:
                loop.call_soon(self._send)
        self._pending += what

    def _send(self) -> None:
        rings, self._pending = self._pending, b""
        self._sent_at = time.monotonic()
        for path in self._listing():
            try:
                self._socket.sendto(rings, path)
            except (ConnectionRefusedError, FileNotFoundError):
                self._deliverers.remove(path)  # its process is gone
                with contextlib.suppress(OSError):
                    os.unlink(path)
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.ENOBUFS):
                    log.debug("doorbell %s: %s", path, exc)

    def _listing(self) -> list[str]:
        now = time.monotonic()
        if now - self._listed_at > LISTING_TTL_S:
            self._listed_at = now
            try:
                self._deliverers = [str(p) for p in self.directory.iterdir()]
            except FileNotFoundError:
                self._deliverers = []
        return list(self._deliverers)
