"""A lean HTTP/1.1 load generator: N keep-alive connections, each sending one request after
the other for a fixed time, recording every latency.

Raw asyncio streams instead of an HTTP client library, so the generator spends as little of
the machine's two cores as possible on itself."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


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


def get_request(host: str, path_and_query: str, headers: dict[str, str]) -> bytes:
    lines = [f"GET {path_and_query} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def post_request(host: str, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
