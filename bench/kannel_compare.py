"""Kannel 1.4.5 against the same SMSC process as bench/end_to_end.py, for issue 16's table.

bearerbox and smsbox (Debian's `kannel` package) with one SMPP transceiver bind to the SMSC
simulator in its own process (`max-pending-submits` = --window), driven through smsbox's
sendsms interface with bench/loadgen.py at the same concurrencies, each message asking for a
delivery report to a counting HTTP receiver in a process of its own (Kannel's "DLR
callbacks"). Prints accepted/s, p50, p99, delivered to the SMSC/s (the SMSC's count), DLR
callbacks/s and the CPU of each process during the load.

By default bearerbox keeps its queue in memory only, as in issue 16's table: it answers
before anything is on disk. `--store file|spool` gives it Kannel's store (neither syncs to
disk before the answer; Relais syncs its WAL before every reply, docs/decisions.md).

    .venv/bin/python bench/kannel_compare.py [--requests 20000] [--concurrency 1,16,64]
        [--window 100] [--store none|file|spool]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from harness import (
    HOST,
    CpuMeter,
    SmscCounts,
    drain_output,
    exit_cleanly_on_sigterm,
    free_port,
    start_counting_smsc,
    start_group,
    stop_groups,
    wait_for_port,
)
from loadgen import BodyCheck, LoadResult, get_request, run_load

FIRST_NUMBER = 33600000000
ROUND_SPAN = 10_000_000
DRAIN_TIMEOUT_S = 300.0


def say(line: str) -> None:
    print(line, flush=True)


# --- Kannel's configuration ----------------------------------------------------------------


@dataclass
class KannelPorts:
    admin: int
    smsbox: int
    sendsms: int
    smsc: int
    dlr_receiver: int


def kannel_conf(ports: KannelPorts, window: int, logs: Path, store: str) -> str:
    """bearerbox, one SMPP transceiver to the SMSC process, smsbox and a sendsms user."""
    kept = "" if store == "none" else f'store-type = {store}\nstore-location = "{logs / "store"}"\n'
    return f"""
group = core
admin-port = {ports.admin}
admin-password = bench
status-password = bench
smsbox-port = {ports.smsbox}
box-allow-ip = 127.0.0.1
log-file = "{logs / "bearerbox.log"}"
log-level = 4
dlr-storage = internal
{kept}
group = smsc
smsc = smpp
smsc-id = sim
host = 127.0.0.1
port = {ports.smsc}
transceiver-mode = true
smsc-username = bench
smsc-password = bench
system-type = ""
max-pending-submits = {window}
msg-id-type = 0x03
log-level = 4

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = {ports.smsbox}
sendsms-port = {ports.sendsms}
log-file = "{logs / "smsbox.log"}"
log-level = 4

group = sendsms-user
username = bench
password = bench
max-messages = 1
concatenation = false
"""


@dataclass
class Kannel:
    """Kannel's two boxes, its SMSC process and the DLR receiver, running."""

    sendsms_port: int
    dlr_port: int
    smsc_counts: SmscCounts
    dlrs: DlrCounts
    processes: dict[str, list[psutil.Process]]
    console_lines: Counter[str]


def start_kannel(workdir: Path, window: int, store: str) -> Kannel:
    ports = KannelPorts(free_port(), free_port(), free_port(), free_port(), free_port())
    smsc, smsc_counts = start_counting_smsc(ports.smsc, window, 0)
    receiver, dlrs = start_dlr_receiver(ports.dlr_receiver)
    conf = workdir / "kannel.conf"
    if store == "spool":
        (workdir / "store").mkdir()  # a directory, one file a message
    conf.write_text(kannel_conf(ports, window, workdir, store))
    # `log-level` covers the log files only: the console's level is `-v`, debug unless told,
    # some 200 lines a message that Kannel formats and the bench would read.
    # Counted and printed: a box that writes a line a message is slowed by it (and so is
    # the bench, which reads them).
    console_lines: Counter[str] = Counter()
    bearerbox = start_group(["/usr/sbin/bearerbox", "-v", "4", str(conf)])
    drain_output(bearerbox, lambda line: console_lines.update(["bearerbox"]))
    wait_for_port(ports.smsbox, bearerbox)
    smsbox = start_group(["/usr/sbin/smsbox", "-v", "4", str(conf)])
    drain_output(smsbox, lambda line: console_lines.update(["smsbox"]))
    wait_for_port(ports.sendsms, smsbox)
    deadline = time.monotonic() + 30
    while smsc_counts.binds < 1:
        if time.monotonic() > deadline:
            raise SystemExit("Kannel did not bind to the SMSC")
        time.sleep(0.05)
    processes = {
        "bearerbox": [psutil.Process(bearerbox.pid)],
        "smsbox": [psutil.Process(smsbox.pid)],
        "smsc": [psutil.Process(smsc.pid)],
        "dlr receiver": [psutil.Process(receiver.pid)],
        "loadgen": [psutil.Process()],
    }
    return Kannel(ports.sendsms, ports.dlr_receiver, smsc_counts, dlrs, processes, console_lines)


# --- A receiver of DLR callbacks that counts them, in a process of its own -----------------


@dataclass
class DlrCounts:
    received: int = 0
    moved_at: float = 0.0

    def take(self, line: str) -> None:
        if line.startswith("dlrs "):
            stamp, received = line.split()[1:3]
            if int(received) != self.received:
                self.received, self.moved_at = int(received), float(stamp)


def start_dlr_receiver(port: int) -> tuple[subprocess.Popen[str], DlrCounts]:
    process = start_group([sys.executable, __file__, "dlr-receiver", str(port)])
    assert process.stdout is not None
    if "listening" not in process.stdout.readline():
        raise SystemExit("the DLR receiver did not start")
    counts = DlrCounts()
    drain_output(process, counts.take)
    return process, counts


async def serve_dlr_receiver(port: int) -> None:
    """Answer every request 200 on keep-alive connections; print the count every 50 ms."""
    received = 0

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal received
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                received += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(connection, HOST, port)
    print(f"DLR receiver listening on {port}", flush=True)
    async with server:
        while True:
            print(f"dlrs {time.time():.3f} {received}", flush=True)
            await asyncio.sleep(0.05)


# --- Rounds ------------------------------------------------------------------------------------


def sendsms_path(to: int, dlr_port: int) -> str:
    dlr_url = quote(f"http://{HOST}:{dlr_port}/dlr?to=%p&type=%d", safe="")
    return (
        f"/cgi-bin/sendsms?username=bench&password=bench&from=Bench&to={to}"
        f"&text=Hello+from+the+bench&dlr-mask=1&dlr-url={dlr_url}"
    )


accepted_ok = BodyCheck(b"0: Accepted")


async def wait_for(done_count: int, read: Callable[[], int], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while read() < done_count:
        if time.monotonic() > deadline:
            say(f"    gave up waiting: {read()} of {done_count}")
            return
        await asyncio.sleep(0.05)


async def send_round(kannel: Kannel, concurrency: int, args: argparse.Namespace, first: int):
    def single_send(n: int) -> bytes:
        return get_request(HOST, sendsms_path(first + n, kannel.dlr_port), {})

    smsc_before, dlrs_before = kannel.smsc_counts.accepted, kannel.dlrs.received
    meter = CpuMeter(kannel.processes)
    started = time.time()
    result = await run_load(
        HOST,
        kannel.sendsms_port,
        single_send,
        concurrency=concurrency,
        seconds=args.seconds,
        check=accepted_ok,
        requests=args.requests,
    )
    cpu = meter.read()
    goal = result.requests
    await wait_for(smsc_before + goal, lambda: kannel.smsc_counts.accepted, DRAIN_TIMEOUT_S)
    await wait_for(dlrs_before + goal, lambda: kannel.dlrs.received, DRAIN_TIMEOUT_S)
    to_smsc = kannel.smsc_counts.accepted - smsc_before
    dlrs = kannel.dlrs.received - dlrs_before
    return round_line(
        concurrency,
        result,
        to_smsc / max(kannel.smsc_counts.accepted_moved_at - started, 1e-3),
        dlrs / max(kannel.dlrs.moved_at - started, 1e-3),
        dlrs,
        cpu,
    )


def round_line(
    concurrency: int,
    load: LoadResult,
    to_smsc_per_s: float,
    dlrs_per_s: float,
    dlrs: int,
    cpu: dict[str, float],
) -> str:
    return (
        f"| {concurrency} | {load.rate:,.0f} | {load.percentile(50):.1f} ms | "
        f"{load.percentile(99):.1f} ms | {to_smsc_per_s:,.0f} | {dlrs_per_s:,.0f} | "
        f"{load.requests:,} ({load.failures} failed), {dlrs:,} DLRs | "
        f"{cpu['bearerbox']:.0f} / {cpu['smsbox']:.0f} / {cpu['smsc']:.0f} / "
        f"{cpu['dlr receiver']:.0f} / {cpu['loadgen']:.0f} |"
    )


TABLE_HEAD = (
    "| c | accepted/s | p50 | p99 | delivered to the SMSC/s | DLR callbacks/s | messages | "
    "CPU % bearerbox / smsbox / SMSC / DLR receiver / loadgen |\n|---|---|---|---|---|---|---|---|"
)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def warm_up(kannel: Kannel) -> None:
    """A short load first, every message delivered and reported before the first round."""
    warm = await run_load(
        HOST,
        kannel.sendsms_port,
        lambda n: get_request(HOST, sendsms_path(FIRST_NUMBER + n, kannel.dlr_port), {}),
        concurrency=4,
        seconds=2,
        check=accepted_ok,
    )
    await wait_for(warm.requests, lambda: kannel.smsc_counts.accepted, DRAIN_TIMEOUT_S)
    await wait_for(warm.requests, lambda: kannel.dlrs.received, DRAIN_TIMEOUT_S)


async def bench_kannel(args: argparse.Namespace) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        kannel = start_kannel(Path(tmp), args.window, args.store)
        try:
            await warm_up(kannel)
            lines = []
            for index, concurrency in enumerate(args.concurrency, start=1):
                say(f"  kannel: c={concurrency}, load {load_average()}")
                first = FIRST_NUMBER + index * ROUND_SPAN
                lines.append(await send_round(kannel, concurrency, args, first))
                say("  " + lines[-1])
            console = kannel.console_lines
            lines.append(
                f"\nconsole lines: bearerbox {console['bearerbox']:,}, smsbox {console['smsbox']:,}"
            )
            return lines
        finally:
            stop_groups()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000, help="per concurrency")
    parser.add_argument("--seconds", type=float, default=300, help="cap per concurrency")
    parser.add_argument(
        "--concurrency", type=lambda raw: [int(c) for c in raw.split(",")], default=[1, 16, 64]
    )
    parser.add_argument("--window", type=int, default=100, help="max-pending-submits")
    parser.add_argument(
        "--store",
        choices=["none", "file", "spool"],
        default="none",
        help="bearerbox's store-type (none: its queue in memory only)",
    )
    return parser.parse_args()


def main() -> None:
    if sys.argv[1:2] == ["dlr-receiver"]:
        asyncio.run(serve_dlr_receiver(int(sys.argv[2])))
        return
    if not os.path.exists("/usr/sbin/bearerbox"):
        raise SystemExit("Kannel is not installed (apt-get install kannel)")
    args = parse_args()
    exit_cleanly_on_sigterm()
    say(
        f"Kannel against an SMSC process: window {args.window}, store {args.store}, "
        f"load {load_average()}"
    )
    lines: list[str] = []
    try:
        lines = asyncio.run(bench_kannel(args))
    except KeyboardInterrupt:
        say("interrupted; stopping every process started")
    finally:
        stop_groups()
    say("\nkannel:\n" + TABLE_HEAD)
    for line in lines:
        say(line)


if __name__ == "__main__":
    main()
