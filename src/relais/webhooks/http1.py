"""HTTP/1.1 POSTs to a checked webhook address over kept-alive connections: h11 (the protocol
engine under httpx's own transport) over asyncio streams, each connection held by the sender
for one endpoint. httpx's general pool costs ~0.8 ms of CPU per request, which alone would cap
delivery near 1,200 events/s (docs/decisions.md); what it gave is kept here: connect and
request timeouts, TLS checked against the URL's host name (SNI) while connecting to the checked
address, no redirects (an answer is an answer), at most ANSWER_BYTES of it read."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass

import h11
import httpx

from relais.webhooks.targets import Target

ANSWER_BYTES = 4096  # of a receiver's answer, at most, are ever read
USER_AGENT = "Relais-Webhooks/1"
IDLE_S = 2.0  # a connection idle longer is closed, not reused: servers drop idle ones (2-5 s)
READ_CHUNK = 65536
MAX_HEAD_BYTES = 16 * 1024  # an answer's status line and headers, at most


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    retry_after: str | None


class NoAnswer(Exception):
    """No HTTP answer: the connection failed or broke, timed out, or was not spoken HTTP."""


class Connection:
    """One kept-alive connection to a checked address; one request at a time."""

    def __init__(
        self,
        key: tuple[str, str, int, str | None],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.key = key
        self._reader = reader
        self._writer = writer
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD_BYTES)
        self._clean = True  # False once an exchange did not end cleanly
        self.idle_since = time.monotonic()

    @classmethod
    async def open(
        cls, target: Target, *, timeout_s: float, tls: ssl.SSLContext | None
    ) -> Connection:
        try:
            async with asyncio.timeout(timeout_s):
                reader, writer = await asyncio.open_connection(
                    target.address,
                    target.port,
                    ssl=tls if target.scheme == "https" else None,
                    server_hostname=target.server_hostname,
                    limit=READ_CHUNK,
                )
        except TimeoutError:
            raise NoAnswer("ConnectTimeout: no connection within the time allowed") from None
        except (OSError, ssl.SSLError) as exc:
            raise NoAnswer(f"ConnectError: {exc}") from None
        return cls(target.key, reader, writer)

    @property
    def reusable(self) -> bool:
        """Whether another request may go on this connection: the last exchange ended
        cleanly, the server has not closed it and it has not idled past IDLE_S."""
        return (
            self._clean
            and self._h11.our_state is h11.IDLE
            and not self._reader.at_eof()
            and time.monotonic() - self.idle_since < IDLE_S
        )

    async def post(
        self, target: Target, headers: dict[str, str], body: bytes, *, timeout_s: float
    ) -> Answer:
        """POST `body` to the target; its answer, with at most ANSWER_BYTES of body read."""
        self._clean = False
        request = h11.Request(
            method="POST",
            target=target.request_target,
            headers=[
                ("Host", target.host_header),
                ("User-Agent", USER_AGENT),
                ("Content-Length", str(len(body))),
                *headers.items(),
            ],
        )
        try:
            async with asyncio.timeout(timeout_s):
                self._writer.write(self._wire(request, h11.Data(data=body), h11.EndOfMessage()))
                await self._writer.drain()
                answer = await self._answer()
        except TimeoutError:
            raise NoAnswer("ReadTimeout: no answer within the time allowed") from None
        except (OSError, ssl.SSLError, h11.ProtocolError) as exc:
            raise NoAnswer(f"{type(exc).__name__}: {exc}") from None
        return answer

    def _wire(self, *events: h11.Request | h11.Data | h11.EndOfMessage) -> bytes:
        return b"".join(self._h11.send(event) or b"" for event in events)

    async def _answer(self) -> Answer:
        event = await self._next_event()
        while isinstance(event, h11.InformationalResponse):  # 100 Continue and the like
            event = await self._next_event()
        if not isinstance(event, h11.Response):
            raise NoAnswer("RemoteProtocolError: the connection closed without an answer")
        answer = Answer(event.status_code, _header(event.headers, b"retry-after"))
        read = 0
        while read <= ANSWER_BYTES:
            event = await self._next_event()
            if isinstance(event, h11.Data):
                read += len(event.data)
            elif isinstance(event, h11.EndOfMessage):
                if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
                    self._h11.start_next_cycle()
                    self._clean = True
                    self.idle_since = time.monotonic()
                break
            else:
                break  # the connection closed mid-body: the status still counts
        return answer  # an answer longer than ANSWER_BYTES leaves the connection unclean

    async def _next_event(self) -> object:
        while True:
            event = self._h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            self._h11.receive_data(await self._reader.read(READ_CHUNK))

    def close(self) -> None:
        self._clean = False
        self._writer.close()


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key == name:  # h11 lower-cases names
            return value.decode("latin-1")
    return None


class Connections:
    """The sender's idle kept-alive connections, by what they are to (Target.key): a round
    of deliveries takes them for its endpoints and gives them back."""

    def __init__(self, *, connect_timeout_s: float) -> None:
        self.connect_timeout_s = connect_timeout_s
        self._idle: dict[tuple[str, str, int, str | None], list[Connection]] = {}
        self._tls: ssl.SSLContext | None = None

    async def take(self, target: Target) -> Connection:
        """An idle connection to the target that may be reused, or a new one."""
        idle = self._idle.get(target.key)
        while idle:
            connection = idle.pop()
            if connection.reusable:
                return connection
            connection.close()
        if target.scheme == "https" and self._tls is None:
            self._tls = httpx.create_ssl_context()  # httpx's trust store (certifi), verified
        return await Connection.open(target, timeout_s=self.connect_timeout_s, tls=self._tls)

    def give_back(self, connection: Connection) -> None:
        if connection.reusable:
            self._idle.setdefault(connection.key, []).append(connection)
        else:
            connection.close()

    def close_stale(self) -> None:
        """Close the idle connections that may no longer be reused."""
        for key, idle in list(self._idle.items()):
            keep = [c for c in idle if c.reusable]
            for connection in idle:
                if not connection.reusable:
                    connection.close()
            if keep:
                self._idle[key] = keep
            else:
                del self._idle[key]

    def close(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()
