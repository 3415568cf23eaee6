"""Reading a request body within a route's cap, for every dialect: a body declared or grown
larger than the cap is refused before (or as soon as) it exceeds it, never buffered whole;
a large body is parsed on a thread so the event loop keeps serving other clients."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from starlette.requests import Request

from relais.core.errors import BodyTooLarge, InvalidField

T = TypeVar("T")

# Bodies above this are parsed off the event loop (a 1 MB JSON parse is ~10 ms).
PARSE_INLINE_BYTES = 64 * 1024


def has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return (length is not None and length != "0") or "transfer-encoding" in request.headers


def _too_large(limit: int) -> BodyTooLarge:
    return BodyTooLarge(f"The request body is larger than this route accepts ({limit} bytes)")


async def read_body(request: Request, limit: int) -> bytes:
    """The body, at most `limit` bytes: Content-Length is checked before reading, and a
    chunked body is counted as it streams in."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isascii() or not declared.strip().isdigit():
            raise InvalidField("Content-Length must be a number of bytes")
        if int(declared) > limit:
            raise _too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    return body


async def parse(parser: Callable[[bytes], T], body: bytes) -> T:
    """`parser(body)`, on a worker thread when the body is large."""
    if len(body) <= PARSE_INLINE_BYTES:
        return parser(body)
    return await asyncio.to_thread(parser, body)
