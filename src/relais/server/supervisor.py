"""`relais serve` on one machine: the API workers (granian) and one delivery process beside
them, so HTTP and delivery each have a core and a GIL of their own.

The delivery process is restarted if it dies; it and the HTTP workers die with this process
(Linux: parent death signal) so a killed server leaves nothing running behind."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent(how: signal.Signals = signal.SIGTERM) -> None:
    """Have the kernel send `how` to this process when its parent dies (Linux), so a server
    killed with -9 leaves no worker behind holding its port or its database."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, how)


class StopRequest:
    """Notes SIGINT and SIGTERM until the server installs its own handlers. With Python's
    default handler a Ctrl-C landing in start-up can be raised inside a finaliser, printed
    as "Exception ignored" and lost: the server then started and ran on."""

    def __init__(self) -> None:
        self.requested = False
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._note)

    def _note(self, signum: int, frame: object) -> None:
        self.requested = True


class DeliveryChild:
    """One `relais serve --role delivery` process, kept running until `stop`."""

    def __init__(self, env: dict[str, str], *, restart_delay_s: float = 1.0) -> None:
        self.env = env
        self.restart_delay_s = restart_delay_s
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="relais-delivery-watch")
        self._watcher.daemon = True

    def start(self) -> None:
        self._spawn()
        self._watcher.start()

    def _spawn(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "relais", "serve", "--role", "delivery", "--no-migrate"],
            env=self.env,
            preexec_fn=die_with_parent,
        )

    def _watch(self) -> None:
        # Spawned from this thread too: the parent death signal follows the spawning thread.
        while not self._stopping.wait(0.5):
            assert self.process is not None
            code = self.process.poll()
            if code is None:
                continue
            print(
                f"relais: the delivery process exited ({code}); restarting it",
                file=sys.stderr,
                flush=True,
            )
            if self._stopping.wait(self.restart_delay_s):
                return
            self._spawn()

    def stop(self, timeout_s: float = 20.0) -> None:
        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join()
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def serve_with_delivery(serve_api: Callable[[], None], *, delivery: bool) -> None:
    """Run `serve_api` (blocking until the server is told to stop) with a delivery process
    beside it when `delivery`."""
    child = DeliveryChild({**os.environ, "RELAIS_ROLE": "delivery"}) if delivery else None
    if child is not None:
        child.start()
    try:
        serve_api()
    finally:
        if child is not None:
            child.stop()
