"""
The request window of one SMPP session: at most `size` requests await their response.

Flow control and nothing else, for `SmppSession`: a caller gets a slot at once while the
window has room, or waits in line (first come, first served) until a response, a timeout or
a drained transport buffer frees one. Each request sent gets a future for its response and a
deadline; the future fails with `NoResponse` when the deadline passes or the session ends,
and the sequence number of a request that timed out is remembered, so its late answer is
recognised and dropped.

Deadlines are read on the monotonic clock: they time the link, they are no domain data.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from typing import Final

from relais.smpp import Response, SmppConnection, SmppError

__all__ = ["NoResponse", "RequestWindow", "SessionClosed"]

_ABANDONED_KEPT: Final = 100_000  # late answers recognised, at most


class SessionClosed(SmppError):
    """The session is closed: the request was not sent."""


class NoResponse(SmppError):
    """The request was sent but no response came: the peer may or may not have acted on it.

    `timed_out` is True when the response timeout fired, False when the session ended first.
    """

    def __init__(self, detail: str, *, timed_out: bool) -> None:
        super().__init__(detail)
        self.timed_out = timed_out


class RequestWindow:
    """The requests in flight on `conn`, and the callers waiting for room to send theirs."""

    def __init__(self, conn: SmppConnection, size: int, *, response_timeout_s: float) -> None:
        self.size = size
        self.response_timeout_s = response_timeout_s
        self.writable = True  # False while the transport's write buffer is full
        self._conn = conn
        self._loop = asyncio.get_running_loop()
        self._pending: dict[int, tuple[asyncio.Future[Response], float]] = {}
        self._abandoned: set[int] = set()
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._woken = 0  # waiters woken for a free slot that have not sent yet
        self._closed: str | None = None

    @property
    def queued(self) -> bool:
        """Whether callers wait for a slot (a new one then queues behind them)."""
        return bool(self._waiters)

    def has_slot(self) -> bool:
        return self.writable and self._conn.outstanding + self._woken < self.size

    async def wait_for_slot(self) -> None:
        """Return when the caller may send one request.

        Raises:
            SessionClosed: the session ended before a slot came.
        """
        if self._closed is not None:
            raise SessionClosed(self._closed)
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._woken -= 1  # woken, then cancelled: pass the slot on
                self.wake()
            else:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
            raise
        self._woken -= 1

    def wake(self) -> None:
        """Hand the free slots to the callers waiting longest."""
        waiters = self._waiters
        while waiters and self.has_slot():
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                self._woken += 1

    def track(self, sequence: int, timeout_s: float | None) -> asyncio.Future[Response]:
        """The future of the response to the request just sent as `sequence`."""
        future: asyncio.Future[Response] = self._loop.create_future()
        deadline = time.monotonic() + (timeout_s or self.response_timeout_s)
        self._pending[sequence] = (future, deadline)
        return future

    def resolve(self, response: Response) -> bool:
        """Complete the request `response` answers; False when none awaits it."""
        entry = self._pending.pop(response.sequence_number, None)
        if entry is None:
            return False
        if not entry[0].done():
            entry[0].set_result(response)
        if self._waiters:
            self.wake()
        return True

    def expire(self, now: float) -> int:
        """Fail the requests whose deadline is past `now`; how many there were."""
        expired = [seq for seq, (_, deadline) in self._pending.items() if deadline <= now]
        for sequence in expired:
            future, _ = self._pending.pop(sequence)
            self._conn.abandon(sequence)
            if len(self._abandoned) > _ABANDONED_KEPT:
                self._abandoned.clear()
            self._abandoned.add(sequence)
            if not future.done():
                future.set_exception(
                    NoResponse(f"no response within {self.response_timeout_s:g}s", timed_out=True)
                )
        return len(expired)

    def answered_late(self, sequence: int) -> bool:
        """Whether `sequence` is a request that timed out (its late answer is then forgotten)."""
        if sequence in self._abandoned:
            self._abandoned.discard(sequence)
            return True
        return False

    def close(self, reason: str) -> None:
        """The session ended: fail every request in flight and every caller waiting."""
        self._closed = reason
        pending, self._pending = self._pending, {}
        for future, _ in pending.values():
            if not future.done():
                future.set_exception(NoResponse(f"session ended: {reason}", timed_out=False))
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(SessionClosed(reason))
