"""A lean HTTP/1.1 load generator: N keep-alive connections, each sending one request after
the other for a fixed time, recording every latency.

With a known number of requests and a `BodyCheck` (or no check), the load comes from
bench/loadgen.c, built once with the machine's C compiler: the servers under test share the
two cores with the generator, and the C one spends a fraction of asyncio's CPU and latency.
Otherwise, or with `BENCH_LOADGEN=python`, raw asyncio streams do it."""

from __future__ import annotations

import array
import asyncio
import functools
import hashlib
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

NATIVE_SOURCE = Path(__file__).with_name("loadgen.c")


@dataclass
class LoadResult:
    requests: int = 0
    failures: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    bodies_checked: int = 0

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    def summary(self) -> str:
        mean = statistics.fmean(self.latencies_ms or [0])
        return (
            f"{self.rate:8.0f} req/s  p50 {self.percentile(50):6.2f} ms  "
            f"p99 {self.percentile(99):6.2f} ms  mean {mean:6.2f} ms  "
            f"({self.requests} ok, {self.failures} failed, {self.seconds:.1f} s)"
        )


@dataclass(frozen=True)
class BodyCheck:
    """What the body of an accepted answer holds, in a form the C generator checks too."""

    prefix: bytes
    contains: bytes = b""

    def __call__(self, body: bytes) -> bool:
        return body.startswith(self.prefix) and self.contains in body


@functools.cache
def native_generator() -> Path | None:
    """bench/loadgen.c built (once per text of the source), or None: no C compiler, a failed
    build, or `BENCH_LOADGEN=python`."""
    if os.environ.get("BENCH_LOADGEN", "c") == "python":
        return None
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        print("no C compiler: the load comes from asyncio (bench/loadgen.py)", file=sys.stderr)
        return None
    digest = hashlib.sha256(NATIVE_SOURCE.read_bytes()).hexdigest()[:16]
    built = Path(tempfile.gettempdir()) / f"relais-bench-loadgen-{digest}"
    if not built.exists():
        partial = built.with_name(f"{built.name}.{os.getpid()}")
        compiled = subprocess.run(
            [compiler, "-O2", "-o", str(partial), str(NATIVE_SOURCE)],
            capture_output=True,
            text=True,
        )
        if compiled.returncode != 0:
            print(f"bench/loadgen.c did not build:\n{compiled.stderr}", file=sys.stderr)
            return None
        partial.replace(built)
    return built


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
            break
    body = await reader.readexactly(length) if length else b""
    return status, body


async def _connection(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    deadline: float,
    result: LoadResult,
    check: Callable[[bytes], bool] | None,
    counter: list[int],
    limit: int | None,
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            if limit is not None and counter[0] >= limit:
                break
            counter[0] += 1
            request = make_request(counter[0])
            started = time.perf_counter()
            writer.write(request)
            status, body = await _read_response(reader)
            elapsed = (time.perf_counter() - started) * 1000
            if 200 <= status < 300 and (check is None or check(body)):
                result.requests += 1
                result.latencies_ms.append(elapsed)
            else:
                result.failures += 1
    finally:
        writer.close()


async def run_load(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    *,
    concurrency: int,
    seconds: float,
    check: Callable[[bytes], bool] | None = None,
    requests: int | None = None,
) -> LoadResult:
    """Load for `seconds`, or until `requests` were sent when given (whichever comes first)."""
    if requests is not None and (check is None or isinstance(check, BodyCheck)):
        native = native_generator()
        if native is not None:
            expect = check or BodyCheck(b"")
            return await _run_native(
                native, host, port, make_request, concurrency, seconds, expect, requests
            )
    result = LoadResult()
    counter = [0]
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(
        *(
            _connection(host, port, make_request, deadline, result, check, counter, requests)
            for _ in range(concurrency)
        )
    )
    result.seconds = time.perf_counter() - started
    return result


async def _run_native(
    generator: Path,
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    concurrency: int,
    seconds: float,
    expect: BodyCheck,
    requests: int,
) -> LoadResult:
    """The requests written out first (numbered from 1, as the asyncio generator does), each
    after its length; the latencies read back, negative for a failure."""
    with tempfile.TemporaryDirectory() as work:
        requests_path, results_path = Path(work, "requests"), Path(work, "results")
        _write_requests(requests_path, make_request, requests)
        process = await asyncio.create_subprocess_exec(
            str(generator),
            host,
            str(port),
            str(concurrency),
            str(seconds),
            str(requests_path),
            str(results_path),
            expect.prefix,
            expect.contains,
            stdout=asyncio.subprocess.PIPE,
        )
        output, _ = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"bench/loadgen.c exited with {process.returncode}")
        latencies = _read_latencies(results_path)
    result = LoadResult(seconds=float(output.split()[1]))
    for ms in latencies:
        if ms >= 0:
            result.requests += 1
            result.latencies_ms.append(ms)
        else:
            result.failures += 1
    return result


def _write_requests(path: Path, make_request: Callable[[int], bytes], requests: int) -> None:
    with path.open("wb") as out:
        for n in range(1, requests + 1):
            request = make_request(n)
            out.write(struct.pack("=I", len(request)) + request)


def _read_latencies(path: Path) -> array.array[float]:
    return array.array("f", path.read_bytes())


def get_request(host: str, path_and_query: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path_and_query} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_request(host: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
