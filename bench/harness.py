"""What the benchmarks share: the PostgreSQL they run on, free ports, a clean schema, the
processes they start (and end), their CPU and memory, and an SMSC that counts."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import psutil

POSTGRES_URL = os.environ.get(
    "RELAIS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def reset_postgres() -> None:
    """Drop everything in the benchmark database: each run starts from an empty schema."""
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_URL)
    await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    await conn.close()


# --- Processes of a bench run: started in groups of their own, all ended on exit ------------

HOST = "127.0.0.1"
_GROUPS: list[subprocess.Popen[str]] = []


def start_group(argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Start `argv` as the leader of a new process group (its children follow it), so
    `stop_groups` ends servers and everything they spawned, also after Ctrl-C."""
    process = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    _GROUPS.append(process)
    return process


def stop_group(process: subprocess.Popen[str], timeout_s: float = 20.0) -> None:
    """SIGTERM to the whole group, SIGKILL to whatever is left after `timeout_s`."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout_s)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if process in _GROUPS:
        _GROUPS.remove(process)


def stop_groups() -> None:
    """End every group this bench started, newest first."""
    for process in reversed(list(_GROUPS)):
        stop_group(process)


def exit_cleanly_on_sigterm() -> None:
    """SIGTERM behaves like Ctrl-C: `finally` blocks and atexit run, and the groups end."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    atexit.register(stop_groups)


def drain_output(process: subprocess.Popen[str], on_line: Callable[[str], None]) -> None:
    """Read a child's output in a thread (so its pipe never fills), handing each line over."""

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            on_line(line.rstrip("\n"))

    threading.Thread(target=pump, name=f"drain-{process.pid}", daemon=True).start()


def wait_for_port(port: int, process: subprocess.Popen[str], timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit(
                    f"nothing listens on {port} (exit code {process.poll()})"
                ) from None
            time.sleep(0.1)


# --- Relais through its CLI --------------------------------------------------------------


def relais_cli(env: dict[str, str], *args: str) -> str:
    """Run one `relais` admin command as a user would; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "relais", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"relais {' '.join(args)} failed: {done.stderr}")
    return done.stdout.strip()


def bench_account(env: dict[str, str], credits: int, email: str = "bench@relais.local") -> str:
    """An account with `credits` on a migrated database, and an API token for it."""
    relais_cli(env, "migrate")
    relais_cli(env, "account", "create", "--email", email, "--password", "benchmark",
               "--credits", str(credits))  # fmt: skip
    return relais_cli(env, "token", "create", "--email", email)


async def reset_database(name: str) -> str:
    """Drop and create database `name` on the bench PostgreSQL server; its URL. Only names
    of the bench's own are accepted, so a typo never drops a database others use."""
    import asyncpg
    from sqlalchemy import make_url

    if not name.startswith("bench_"):
        raise SystemExit(f"refusing to reset {name!r}: bench databases are named bench_*")
    server = make_url(POSTGRES_URL)
    conn = await asyncpg.connect(server.set(database="postgres").render_as_string(False))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return server.set(database=name).render_as_string(hide_password=False)


# --- CPU and memory of the processes under test ------------------------------------------


def relais_processes(serve: subprocess.Popen[str]) -> dict[str, list[psutil.Process]]:
    """The processes of one `relais serve`: the supervisor (which also runs granian's main
    loop), its HTTP workers and its delivery process, told apart by their command lines."""
    supervisor = psutil.Process(serve.pid)
    roles: dict[str, list[psutil.Process]] = {
        "supervisor": [supervisor],
        "http": [],
        "delivery": [],
    }
    for child in supervisor.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            line = child.cmdline()
            if "delivery" in line and "--role" in line:
                roles["delivery"].append(child)
            elif any("resource_tracker" in part for part in line):
                continue
            else:
                roles["http"].append(child)
    return roles


def cpu_seconds(processes: list[psutil.Process]) -> float:
    total = 0.0
    for proc in processes:
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            # With their children that ended: the C load generator is one, for each round.
            total += times.user + times.system + times.children_user + times.children_system
    return total


def rss_mb(processes: list[psutil.Process]) -> float:
    total = 0
    for proc in processes:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_info().rss
    return total / 1e6


def pss_mb(processes: list[psutil.Process]) -> float:
    """Proportional set size: pages shared by forked processes counted once in the sum, so
    what several processes really hold together (RSS counts a shared page in each)."""
    total = 0
    for proc in processes:
        with contextlib.suppress(psutil.Error):
            total += proc.memory_full_info().pss
    return total / 1e6


class CpuMeter:
    """CPU % of named groups of processes between `start` and `read` (100 % = one core)."""

    def __init__(self, groups: dict[str, list[psutil.Process]]) -> None:
        self.groups = groups
        self._started = time.perf_counter()
        self._before = {name: cpu_seconds(procs) for name, procs in groups.items()}

    def read(self) -> dict[str, float]:
        elapsed = time.perf_counter() - self._started
        return {
            name: (cpu_seconds(procs) - self._before[name]) / elapsed * 100
            for name, procs in self.groups.items()
        }


# --- An SMSC process that says how far it got ---------------------------------------------


@dataclass
class SmscCounts:
    """The SMSC's own totals as its process last printed them, and when each last moved."""

    accepted: int = 0
    receipts_acked: int = 0
    binds: int = 0
    accepted_moved_at: float = 0.0
    acked_moved_at: float = 0.0

    def take(self, line: str) -> None:
        if not line.startswith("counts "):
            return
        stamp, accepted, acked, binds = line.split()[1:5]
        if int(accepted) != self.accepted:
            self.accepted, self.accepted_moved_at = int(accepted), float(stamp)
        if int(acked) != self.receipts_acked:
            self.receipts_acked, self.acked_moved_at = int(acked), float(stamp)
        self.binds = int(binds)


def start_counting_smsc(
    port: int, deliver_window: int, receipt_delay_ms: int
) -> tuple[subprocess.Popen[str], SmscCounts]:
    """The SMSC simulator in a process of its own (`python bench/harness.py smsc`), which
    prints its counters every 50 ms: the SMSC's own count of what it accepted and of the
    receipts its client acknowledged."""
    argv = [sys.executable, __file__, "smsc", str(port), str(deliver_window), str(receipt_delay_ms)]
    process = start_group(argv)
    assert process.stdout is not None
    first = process.stdout.readline()
    if "listening" not in first:
        raise SystemExit(f"SMSC simulator did not start: {first}")
    counts = SmscCounts()
    drain_output(process, counts.take)
    return process, counts


async def _serve_counting_smsc(port: int, deliver_window: int, receipt_delay_ms: int) -> None:
    from relais.smsc_simulator.options import config_from_options
    from relais.smsc_simulator.server import SmscSimulator

    config = config_from_options(
        receipt_delay_ms=receipt_delay_ms, deliver_window=deliver_window, history_limit=1000
    )
    smsc = SmscSimulator(config)
    await smsc.start(HOST, port)
    print(f"SMSC simulator listening on {HOST}:{smsc.port} ({config.describe()})", flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    while not stop.is_set():
        c = smsc.counters
        print(f"counts {time.time():.3f} {c.accepted} {c.delivers_acked} {c.binds}", flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)
    await smsc.stop()


if __name__ == "__main__" and sys.argv[1:2] == ["smsc"]:
    import uvloop

    uvloop.run(_serve_counting_smsc(*(int(arg) for arg in sys.argv[2:5])))
