"""SQLite commits made durable after the write lock is let go: group commit across processes.

With `synchronous=FULL`, SQLite syncs the WAL inside every COMMIT, while it holds the one
write lock that every process of the file shares: half of an API group's time in the lock
was that sync, and the delivery process waited for it (docs/performance.md). Relais asks for
`FULL` the same way, but runs the connection with `synchronous=NORMAL` (no sync at COMMIT)
and syncs the WAL file itself once the turn is let go, before any caller hears of its
write. Since the WAL only grows between checkpoints, and NORMAL syncs the WAL before each
checkpoint and the database after it, one sync makes every commit before it durable, any
process's: a sync thread sends the replies of every group committed before its sync.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class WalFile:
    """The `-wal` file beside a database, synced through a descriptor of its own, reopened
    when the file was replaced (deleted when the last connection closed, then created again)."""

    def __init__(self, database: Path) -> None:
        self.path = Path(f"{database}-wal")
        self._fd: int | None = None

    def sync(self) -> None:
        """Everything written to the WAL so far, on disk. The file may not exist yet: nothing
        was committed in WAL mode, so there is nothing to sync."""
        fd = self._current()
        if fd is not None:
            os.fdatasync(fd)

    def _current(self) -> int | None:
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return None
        if self._fd is not None:
            if os.fstat(self._fd).st_ino == on_disk.st_ino:
                return self._fd
            os.close(self._fd)
            self._fd = None
        try:
            self._fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        return self._fd

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class WalSyncer:
    """A thread that syncs the WAL, then publishes what was committed before the sync.

    `committed(publish)` is called by the writer after each COMMIT: `publish()` runs once
    a sync that began after that call has returned (or with the sync's error, as
    `publish(error)`). Groups committed while a sync runs share the next one."""

    def __init__(self, wal: WalFile) -> None:
        self._wal = wal
        self._pending: queue.SimpleQueue[Callable[[BaseException | None], Any] | None] = (
            queue.SimpleQueue()
        )
        self.syncs = 0
        self.sync_seconds = 0.0  # in the sync itself: the disk's answer time, summed
        self._thread = threading.Thread(target=self._loop, name="relais-sqlite-wal-sync")
        self._thread.daemon = True
        self._thread.start()

    def committed(self, publish: Callable[[BaseException | None], Any]) -> None:
        self._pending.put(publish)

    def close(self) -> None:
        """Sync and publish what is pending, then stop."""
        self._pending.put(None)
        self._thread.join()
        self._wal.close()

    def _loop(self) -> None:
        while True:
            batch = [self._pending.get()]
            while True:
                try:
                    batch.append(self._pending.get_nowait())
                except queue.Empty:
                    break
            stop = None in batch
            publishers = [publish for publish in batch if publish is not None]
            if publishers:
                error: BaseException | None = None
                started = time.perf_counter()
                try:
                    self._wal.sync()
                except OSError as exc:
                    error = exc
                self.sync_seconds += time.perf_counter() - started
                self.syncs += 1
                for publish in publishers:
                    publish(error)
            if stop:
                return
