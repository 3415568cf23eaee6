"""HTTP acceptance benchmark: `relais serve` on a fresh database, driven over loopback.

Prints, per backend: single sends (GET /send) per second at concurrency 1 and 16 with p50 and
p99 latency, balance reads (GET /credits) at concurrency 16, and recipients per second for
500-recipient bulk sends (POST /send). Every
accepted message is committed before its reply (SQLite: WAL, synchronous=FULL).

    .venv/bin/python bench/send.py [--backend sqlite|postgresql|both] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).parent))
from harness import POSTGRES_URL, free_port, reset_postgres
from loadgen import get_request, post_request, run_load

HOST = "127.0.0.1"


def relais(env: dict[str, str], *args: str) -> str:
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


def start_server(
    backend: str, workdir: Path, dispatcher: bool
) -> tuple[subprocess.Popen, str, int, dict]:
    port = free_port()
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        asyncio.run(reset_postgres())
        url = POSTGRES_URL
    env = {
        **os.environ,
        "RELAIS_DATABASE_URL": url,
        "RELAIS_PORT": str(port),
        "RELAIS_DISPATCHER": "true" if dispatcher else "false",
        "RELAIS_SIMULATOR_RECEIPT_DELAY_MS": "100",
    }
    relais(
        env,
        "account",
        "create",
        "--email",
        "bench@relais.local",
        "--password",
        "benchmark",
        "--credits",
        "100000000",
    )
    token = relais(env, "token", "create", "--email", "bench@relais.local")
    process = subprocess.Popen(
        [sys.executable, "-m", "relais", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection((HOST, port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("server did not start") from None
            time.sleep(0.1)
    return process, token, port, env


def sent_ok(body: bytes) -> bool:
    """Accepted, and no recipient refused: the bench measures real sends."""
    return body.startswith(b'{"status":1') and b'"invalid":0' in body


async def single_sends(port: int, token: str, concurrency: int, seconds: float):
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def request(n: int) -> bytes:
        number = 33600000000 + n
        return get_request(HOST, f"/send?to={number}&text=Hello+from+the+bench", headers)

    return await run_load(
        HOST, port, request, concurrency=concurrency, seconds=seconds, check=sent_ok
    )


async def balance_reads(port: int, token: str, concurrency: int, seconds: float):
    """GET /credits: one read per request, the cost of the read path beside the sends'."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    request = get_request(HOST, "/credits", headers)
    return await run_load(
        HOST,
        port,
        lambda n: request,
        concurrency=concurrency,
        seconds=seconds,
        check=lambda body: body.startswith(b'{"status":1'),
    )


async def bulk_sends(port: int, token: str, concurrency: int, seconds: float, size: int = 500):
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }

    def request(n: int) -> bytes:
        first = 33610000000 + n * size
        body = {
            "sms": {
                "message": {"text": "Bulk hello from the bench", "pushtype": "alert"},
                "recipients": {
                    "gsm": [{"value": str(first + i), "gsmsmsid": str(i)} for i in range(size)]
                },
            }
        }
        return post_request(HOST, "/send", headers, json.dumps(body).encode())

    result = await run_load(
        HOST, port, request, concurrency=concurrency, seconds=seconds, check=sent_ok
    )
    return result, size


def cpu_seconds(process: subprocess.Popen) -> float:
    """CPU of the server and its granian worker processes."""
    parent = psutil.Process(process.pid)
    total = 0.0
    for proc in [parent, *parent.children(recursive=True)]:
        times = proc.cpu_times()
        total += times.user + times.system
    return total


def bench_backend(backend: str, seconds: float, dispatcher: bool) -> list[str]:
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        process, token, port, _env = start_server(backend, Path(tmp), dispatcher)
        try:
            asyncio.run(single_sends(port, token, 4, 2))  # warm-up
            for concurrency in (1, 16):
                cpu_before = cpu_seconds(process)
                result = asyncio.run(single_sends(port, token, concurrency, seconds))
                cpu = (cpu_seconds(process) - cpu_before) / result.seconds
                label = f"{backend:10s} single  c={concurrency:<3d}"
                lines.append(f"{label} {result.summary()}  server CPU {cpu:.0%}")
            cpu_before = cpu_seconds(process)
            result = asyncio.run(balance_reads(port, token, 16, seconds))
            cpu = (cpu_seconds(process) - cpu_before) / result.seconds
            lines.append(f"{backend:10s} credits c=16  {result.summary()}  server CPU {cpu:.0%}")
            for concurrency in (1, 4):
                cpu_before = cpu_seconds(process)
                result, size = asyncio.run(bulk_sends(port, token, concurrency, seconds))
                cpu = (cpu_seconds(process) - cpu_before) / result.seconds
                label = f"{backend:10s} bulk500 c={concurrency:<3d}"
                lines.append(
                    f"{label} {result.rate * size:8.0f} recipients/s  "
                    f"p50 {result.percentile(50):6.1f} ms  p99 {result.percentile(99):6.1f} ms  "
                    f"({result.requests} ok, {result.failures} failed)  server CPU {cpu:.0%}"
                )
        finally:
            process.terminate()
            process.wait(timeout=30)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--no-dispatcher",
        action="store_true",
        help="accept only; by default the dispatcher and the built-in carrier run too",
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print(
        f"relais HTTP acceptance, {args.seconds:.0f} s per figure, dispatcher "
        f"{'off' if args.no_dispatcher else 'on'}, {os.cpu_count()} cores"
    )
    for backend in backends:
        for line in bench_backend(backend, args.seconds, not args.no_dispatcher):
            print(line, flush=True)


if __name__ == "__main__":
    main()
