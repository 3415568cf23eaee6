"""A real HTTP server on loopback that plays a customer's webhook endpoint: it records every
request and answers with the status codes a test lines up (h11 parses the wire)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import h11


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """`answers` are used one per request, then `default`; `retry_after` is sent with every
    non-2xx answer when set; `hang_s` delays each answer."""

    default: int = 200
    answers: list[int] = field(default_factory=list)
    retry_after: str | None = None
    hang_s: float = 0.0
    received: list[Received] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __aenter__(self) -> Receiver:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = h11.Connection(h11.SERVER)
        try:
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    data = await reader.read(65536)
                    conn.receive_data(data)
                    if not data:
                        break
                    continue
                if isinstance(event, h11.Request):
                    request, body = event, b""
                    while not isinstance(event := conn.next_event(), h11.EndOfMessage):
                        if event is h11.NEED_DATA:
                            conn.receive_data(await reader.read(65536))
                        elif isinstance(event, h11.Data):
                            body += event.data
                    self.received.append(
                        Received(
                            request.method.decode(),
                            request.target.decode(),
                            {k.decode().lower(): v.decode() for k, v in request.headers},
                            body,
                        )
                    )
                    if self.hang_s:
                        await asyncio.sleep(self.hang_s)
                    status = self.answers.pop(0) if self.answers else self.default
                    headers = [("content-length", "2")]
                    if status >= 300 and self.retry_after is not None:
                        headers.append(("retry-after", self.retry_after))
                    writer.write(conn.send(h11.Response(status_code=status, headers=headers)))
                    writer.write(conn.send(h11.Data(data=b"ok")))
                    writer.write(conn.send(h11.EndOfMessage()))
                    await writer.drain()
                    conn.start_next_cycle()
                elif isinstance(event, h11.ConnectionClosed):
                    break
        except (ConnectionError, h11.RemoteProtocolError):
            pass
        finally:
            writer.close()
