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

from relais.config import Settings

_PR_SET_PDEATHSIG = 1
# An API worker's time to finish its requests once told to stop. What it accepted is
# committed before it answers, so a worker killed past this loses no message.
_WORKER_STOP_S = 5
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

    SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})

    def __init__(self) -> None:
        self.requested = False
        for signum in self.SIGNALS:
            signal.signal(signum, self._note)
        # What came while the CLI replaced itself by this process (command.become_server
        # holds these signals back across the exec) is delivered now, to these handlers.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, self.SIGNALS)

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
            [sys.executable, "-m", "relais.server", "--role", "delivery"],
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


def serve_http(settings: Settings, workers: int, stop: StopRequest) -> None:
    """Serve the API with granian in `workers` processes until told to stop."""
    from granian import Granian
    from granian.constants import Interfaces, Loops

    os.environ.setdefault("RELAIS_DATABASE_URL", settings.database_url)
    server = Granian(
        "relais.server.background:app_from_env",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        workers=workers,
        # A worker still importing the app when told to stop has not yet installed granian's
        # handlers and misses the signal: it is killed this many seconds later.
        workers_kill_timeout=_WORKER_STOP_S,
        log_access=False,
    )
    # Checked last, as close as can be to granian's own handlers taking over the signals.
    if not stop.requested:
        server.serve()
