"""End to end through `relais serve` against an SMSC in a process of its own (issue 16).

For each backend: a fresh database, an account and a token made with the CLI, the SMSC
simulator as its own process (receipts on), an SMPP connector to it loaded from TOML as the
only route (built-in carrier off), then `relais serve` with its default process layout. For
each concurrency, GET /send is driven for --requests requests, then the bench waits until
every accepted message has its receipt stored. Per concurrency it prints accepted/s, p50 and
p99, messages delivered to the SMSC per second (the SMSC's own count), receipts stored per
second (the database's), and the CPU of each process during the load (100 % = one core).

    .venv/bin/python bench/end_to_end.py [--backend sqlite|postgresql|both] [--requests 20000]
        [--concurrency 1,16,64] [--window 100] [--workers 1] [--accounts 1]
    .venv/bin/python bench/end_to_end.py --backend sqlite --memory 1000000

--accounts N makes N accounts, and the single sends take them in turn: one account's sends
meet on its balance row, N accounts' need not.

--memory N sends N messages with bulk POST /send (500 recipients a request) instead, all
delivered to the SMSC, and prints the RSS of every Relais process along the way and at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import sqlite3
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from harness import (
    HOST,
    CpuMeter,
    SmscCounts,
    bench_account,
    exit_cleanly_on_sigterm,
    free_port,
    pss_mb,
    relais_cli,
    relais_processes,
    reset_database,
    rss_mb,
    start_counting_smsc,
    start_group,
    stop_groups,
    wait_for_port,
)
from loadgen import BodyCheck, LoadResult, get_request, post_request, run_load

PG_DATABASE = "bench_e2e"
BULK_SIZE = 500
# Destinations of each round start here, 10 million apart: no number is reused (anti-flood).
FIRST_NUMBER = 33600000000
ROUND_SPAN = 10_000_000
DRAIN_TIMEOUT_S = 900.0
# A delivering process reports its figures every 2 s (server.background.REPORT_SECONDS).
REPORT_WAIT_S = 2.5


def say(line: str) -> None:
    print(line, flush=True)


# --- The database, read directly: how many messages, how many receipts stored ------------


class MessageLedger:
    """Counts of the `messages` table, read beside the server (never while load runs)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._pg: Any = None
        self._sqlite: sqlite3.Connection | None = None

    async def open(self) -> None:
        if self.url.startswith("sqlite"):
            self._sqlite = sqlite3.connect(self.url.removeprefix("sqlite:///"))
        else:
            import asyncpg

            self._pg = await asyncpg.connect(self.url)

    async def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
        if self._pg is not None:
            await self._pg.close()

    async def _scalar(self, sql: str, *args: int) -> int:
        if self._sqlite is not None:
            row = self._sqlite.execute(sql.replace("$1", "?"), args).fetchone()
            return int(row[0] or 0)
        return int(await self._pg.fetchval(sql, *args) or 0)

    async def last_message_id(self) -> int:
        return await self._scalar("SELECT max(id) FROM messages")

    async def messages_since(self, floor: int) -> int:
        return await self._scalar("SELECT count(*) FROM messages WHERE id > $1", floor)

    async def receipts_stored_since(self, floor: int) -> int:
        return await self._scalar(
            "SELECT count(*) FROM messages WHERE id > $1 AND status = 'delivered'", floor
        )


# --- One backend's running system ---------------------------------------------------------


@dataclass
class Rig:
    """Relais serving on `port` with a connector to the SMSC process, and how to read both."""

    backend: str
    port: int
    tokens: list[str]  # one per account (--accounts)
    ledger: MessageLedger
    smsc_counts: SmscCounts
    processes: dict[str, list[psutil.Process]]

    def headers(self, content_type: str | None = None, account: int = 0) -> dict[str, str]:
        token = self.tokens[account]
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if content_type:
            headers["Content-Type"] = content_type
        return headers


def connectors_toml(smsc_port: int, window: int) -> str:
    """One SMPP connector to the SMSC process, and the fallback route to it."""
    return (
        '[connectors.smsc]\nkind = "smpp"\nhost = "127.0.0.1"\n'
        f'port = {smsc_port}\nsystem_id = "bench"\npassword = "bench"\nwindow = {window}\n\n'
        '[[routes]]\nconnector = "smsc"\n'
    )


async def database_url(backend: str, workdir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'relais.db'}"
    return await reset_database(PG_DATABASE)


async def start_rig(backend: str, workdir: Path, args: argparse.Namespace, credits: int) -> Rig:
    """Database, account, SMSC process, connector and `relais serve`, bound and ready."""
    url = await database_url(backend, workdir)
    port = free_port()
    env = {
        **os.environ,
        "RELAIS_DATABASE_URL": url,
        "RELAIS_PORT": str(port),
        "RELAIS_API_WORKERS": str(args.workers),
        "RELAIS_BUILTIN_SIMULATOR": "false",
    }
    tokens = [
        bench_account(env, credits, email=f"bench{n}@relais.local" if n else "bench@relais.local")
        for n in range(args.accounts)
    ]
    smsc_port = free_port()
    _smsc, counts = start_counting_smsc(smsc_port, args.window, args.receipt_delay_ms)
    toml = workdir / "connectors.toml"
    toml.write_text(connectors_toml(smsc_port, args.window))
    relais_cli(env, "connector", "load", str(toml))
    serve = start_group([sys.executable, "-m", "relais", "serve"], env)
    wait_for_port(port, serve)
    await wait_until(lambda: counts.binds >= 1, 30, "the connector to bind to the SMSC")
    processes = relais_processes(serve)
    processes["smsc"] = [psutil.Process(_smsc.pid)]
    processes["loadgen"] = [psutil.Process()]
    ledger = MessageLedger(url)
    await ledger.open()
    return Rig(backend, port, tokens, ledger, counts, processes)


async def wait_until(done: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


# --- One round: GET /send at one concurrency, then every receipt stored --------------------


@dataclass
class RoundResult:
    concurrency: int
    load: LoadResult
    messages: int
    to_smsc_per_s: float
    receipts_per_s: float
    drain_s: float
    cpu: dict[str, float]
    write_ms_per_message: dict[str, float]


# Accepted with no recipient refused: every request counted made one message.
accepted_ok = BodyCheck(b'{"status":1', b'"invalid":0')


async def progress_every(period_s: float, report: Callable[[float], str]) -> None:
    """Print `report(elapsed)` every `period_s` until cancelled."""
    started = time.perf_counter()
    while True:
        await asyncio.sleep(period_s)
        say(report(time.perf_counter() - started))


async def with_progress(work: Awaitable[Any], period_s: float, report: Callable[[float], str]):
    ticker = asyncio.create_task(progress_every(period_s, report))
    try:
        return await work
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def receipts_all_stored(rig: Rig, floor: int, expected: int) -> float:
    """Wait until `expected` messages after id `floor` are DELIVERED; when (time.time())."""
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    next_report = time.monotonic() + 5
    while (stored := await rig.ledger.receipts_stored_since(floor)) < expected:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {stored} of {expected} receipts stored")
        if time.monotonic() > next_report:
            say(f"    draining: {stored}/{expected} receipts stored")
            next_report += 5
        await asyncio.sleep(0.05)
    return time.time()


async def write_seconds(rig: Rig) -> dict[str, float]:
    """Seconds each role's database writers spent inside write transactions, from /metrics
    (on SQLite: how long each held the one write lock)."""
    url = f"http://{HOST}:{rig.port}/metrics"
    text = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read().decode())
    found = {}
    for line in text.splitlines():
        if line.startswith('relais_db_write_seconds_total{role="'):
            labels, value = line.rsplit(" ", 1)
            found[labels.split('"')[1]] = float(value)
    return found


async def send_round(rig: Rig, concurrency: int, args: argparse.Namespace, first: int):
    # Requests take the accounts in turn (--accounts).
    headers = [rig.headers(account=n) for n in range(len(rig.tokens))]

    def single_send(n: int) -> bytes:
        path = f"/send?to={first + n}&text=Hello+from+the+bench"
        return get_request(HOST, path, headers[n % len(headers)])

    floor = await rig.ledger.last_message_id()
    smsc_before = rig.smsc_counts.accepted
    meter = CpuMeter(rig.processes)
    written_before = await write_seconds(rig)
    started = time.time()
    load = run_load(
        HOST,
        rig.port,
        single_send,
        concurrency=concurrency,
        seconds=args.seconds,
        check=accepted_ok,
        requests=args.requests,
    )

    def report(elapsed: float) -> str:
        counts = rig.smsc_counts
        return (
            f"    c={concurrency} {elapsed:5.0f} s: SMSC accepted "
            f"{counts.accepted - smsc_before}, receipts acknowledged to it {counts.receipts_acked}"
        )

    result: LoadResult = await with_progress(load, 5, report)
    cpu = meter.read()
    messages = await rig.ledger.messages_since(floor)
    stored_at = await receipts_all_stored(rig, floor, messages)
    await wait_until(lambda: rig.smsc_counts.accepted - smsc_before >= messages, 10, "the SMSC")
    to_smsc_s = rig.smsc_counts.accepted_moved_at - started
    await asyncio.sleep(REPORT_WAIT_S)  # the delivery process's figures for the whole round
    written = await write_seconds(rig)
    write_ms = {
        role: 1000 * (seconds - written_before.get(role, 0.0)) / max(1, messages)
        for role, seconds in written.items()
    }
    return RoundResult(
        concurrency,
        result,
        messages,
        to_smsc_per_s=messages / to_smsc_s,
        receipts_per_s=messages / (stored_at - started),
        drain_s=stored_at - started - result.seconds,
        cpu=cpu,
        write_ms_per_message=write_ms,
    )


def round_line(r: RoundResult) -> str:
    cpu = r.cpu
    return (
        f"| {r.concurrency} | {r.load.rate:,.0f} | {r.load.percentile(50):.1f} ms | "
        f"{r.load.percentile(99):.1f} ms | {r.to_smsc_per_s:,.0f} | {r.receipts_per_s:,.0f} | "
        f"{r.messages:,} ({r.load.failures} failed) | {r.drain_s:.1f} s | "
        f"{cpu['supervisor']:.0f} / {cpu['http']:.0f} / {cpu['delivery']:.0f} / "
        f"{cpu['smsc']:.0f} / {cpu['loadgen']:.0f} | "
        f"{r.write_ms_per_message.get('api', 0):.3f} / "
        f"{r.write_ms_per_message.get('delivery', 0):.3f} |"
    )


TABLE_HEAD = (
    "| c | accepted/s | p50 | p99 | delivered to the SMSC/s | receipts stored/s | messages | "
    "drain after load | CPU % supervisor / HTTP / delivery / SMSC / loadgen | "
    "ms in write transactions per message, HTTP / delivery |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


async def warm_up(rig: Rig) -> None:
    """A short load first, all delivered, so the first round finds warm caches and a bind."""
    floor = await rig.ledger.last_message_id()
    headers = rig.headers()

    def single_send(n: int) -> bytes:
        return get_request(HOST, f"/send?to={FIRST_NUMBER + n}&text=Warm+up", headers)

    await run_load(HOST, rig.port, single_send, concurrency=4, seconds=2, check=accepted_ok)
    await receipts_all_stored(rig, floor, await rig.ledger.messages_since(floor))


async def rate_rounds(rig: Rig, args: argparse.Namespace) -> list[str]:
    await warm_up(rig)
    lines = []
    for index, concurrency in enumerate(args.concurrency, start=1):
        say(f"  {rig.backend}: c={concurrency}, load {load_average()}")
        first = FIRST_NUMBER + index * ROUND_SPAN
        result = await send_round(rig, concurrency, args, first)
        lines.append(round_line(result))
        say("  " + lines[-1])
    return lines


# --- Memory: N messages through bulk POST /send, RSS of every process ------------------------


def rss_line(rig: Rig) -> str:
    procs = rig.processes
    relais = procs["supervisor"] + procs["http"] + procs["delivery"]
    return (
        f"RSS MB: supervisor {rss_mb(procs['supervisor']):.0f}, "
        f"HTTP {' + '.join(f'{rss_mb([p]):.0f}' for p in procs['http'])}, "
        f"delivery {rss_mb(procs['delivery']):.0f}, all Relais {rss_mb(relais):.0f} "
        f"(PSS {pss_mb(relais):.0f}; SMSC {rss_mb(procs['smsc']):.0f})"
    )


async def memory_run(rig: Rig, total: int, concurrency: int) -> list[str]:
    headers = rig.headers("application/json")
    base = FIRST_NUMBER + 20_000_000

    def bulk_send(n: int) -> bytes:
        first = base + (n - 1) * BULK_SIZE
        gsm = [{"value": str(first + i), "gsmsmsid": str(i)} for i in range(BULK_SIZE)]
        message = {"text": "Bulk hello from the bench", "pushtype": "alert"}
        body = {"sms": {"message": message, "recipients": {"gsm": gsm}}}
        return post_request(HOST, "/send", headers, json.dumps(body).encode())

    say(f"  {rig.backend}: before, {rss_line(rig)}")
    acked_before = rig.smsc_counts.receipts_acked
    started = time.perf_counter()
    load = run_load(
        HOST,
        rig.port,
        bulk_send,
        concurrency=concurrency,
        seconds=3600,
        check=accepted_ok,
        requests=math.ceil(total / BULK_SIZE),
    )

    def report(elapsed: float) -> str:
        counts = rig.smsc_counts
        return (
            f"    {elapsed:5.0f} s: SMSC accepted {counts.accepted:,}, receipts acknowledged "
            f"{counts.receipts_acked - acked_before:,}; {rss_line(rig)}"
        )

    result: LoadResult = await with_progress(load, 10, report)
    accepted = result.requests * BULK_SIZE
    say(f"  accepted {accepted:,} in {result.seconds:.0f} s ({accepted / result.seconds:,.0f}/s)")
    goal = acked_before + accepted
    await with_progress(
        wait_until(lambda: rig.smsc_counts.receipts_acked >= goal, DRAIN_TIMEOUT_S, "receipts"),
        10,
        report,
    )
    elapsed = time.perf_counter() - started
    return [
        f"{accepted:,} messages accepted and delivered with their receipts in {elapsed:.0f} s "
        f"({accepted / elapsed:,.0f}/s end to end); at the end: {rss_line(rig)}"
    ]


# --- Driving it ------------------------------------------------------------------------------


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def bench_backend(backend: str, args: argparse.Namespace) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        messages = args.memory or args.requests * len(args.concurrency) + 100_000
        rig = await start_rig(backend, Path(tmp), args, credits=10 * messages)
        try:
            say(f"  {backend}: serving on {rig.port}; processes " + ", ".join(
                f"{name} {[p.pid for p in procs]}" for name, procs in rig.processes.items()
            ))  # fmt: skip
            if args.memory:
                return await memory_run(rig, args.memory, args.bulk_concurrency)
            return await rate_rounds(rig, args)
        finally:
            await rig.ledger.close()
            stop_groups()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=20_000, help="per concurrency")
    parser.add_argument("--seconds", type=float, default=300, help="cap per concurrency")
    parser.add_argument(
        "--concurrency",
        type=lambda raw: [int(c) for c in raw.split(",")],
        default=[1, 16, 64],
        help="comma-separated (1,16,64)",
    )
    parser.add_argument("--window", type=int, default=100, help="SMPP window, both ways")
    parser.add_argument("--workers", type=int, default=1, help="HTTP workers (RELAIS_API_WORKERS)")
    parser.add_argument(
        "--accounts", type=int, default=1, help="accounts the single sends take in turn"
    )
    parser.add_argument("--receipt-delay-ms", type=int, default=0)
    parser.add_argument(
        "--memory", type=int, metavar="N", help="send N messages in bulk and report RSS instead"
    )
    parser.add_argument("--bulk-concurrency", type=int, default=2)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    exit_cleanly_on_sigterm()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    say(
        f"relais end to end against an SMSC process: window {args.window}, {args.workers} HTTP "
        f"worker(s), {os.cpu_count()} cores, load {load_average()}"
    )
    results = {}
    try:
        for backend in backends:
            results[backend] = asyncio.run(bench_backend(backend, args))
    except KeyboardInterrupt:
        say("interrupted; stopping every process started")
    finally:
        stop_groups()
    for backend, lines in results.items():
        say(f"\n{backend}:")
        if not args.memory:
            say(TABLE_HEAD)
        for line in lines:
            say(line)


if __name__ == "__main__":
    main()
