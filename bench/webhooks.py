"""Webhook delivery benchmark: events queued in the outbox, delivered to a local receiver in
another process, over loopback; each a signed POST answered 200 and settled in the database.

Three figures per backend and number of endpoints:
* sender alone: the sender of this process (WebhookSender) drains the outbox, nothing else runs;
* server idle: a `relais serve` process (granian, uvloop, dispatcher and its webhook sender, as
  in production) delivers the events while nobody calls it;
* server while sending: the same while a load generator sends SMS through it (GET /send,
  concurrency 16, the dispatcher and the built-in carrier delivering them).
The server's figures count the events whose delivery was committed during the load window.

    .venv/bin/python bench/webhooks.py [--backend sqlite|postgresql|both] [--events 20000]
        [--endpoints 1,16] [--type DLR|MO] [--loop uvloop|asyncio] [--server-seconds 8]
        [--no-server]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import uvloop
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).parent))
from harness import POSTGRES_URL, free_port, reset_postgres
from send import single_sends, start_server

from relais.config import Settings
from relais.core.events import dlr_body, mo_body
from relais.core.status import MessageStatus
from relais.services.platform import Platform
from relais.store import webhook_outbox as outbox
from relais.store.migrate import upgrade
from relais.store.tables import accounts, webhook_events, webhooks
from relais.webhooks.sender import WebhookSender

# A receiver of its own process, as lean as can be so the sender's cost shows: it answers each
# request (head, then Content-Length bytes of body) 200 at once, on keep-alive connections.
RECEIVER = """
import asyncio, sys, uvloop
OK = b"HTTP/1.1 200 OK\\r\\ncontent-length: 0\\r\\n\\r\\n"
class Endpoint(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buffer, self.body_left = transport, b"", 0
    def data_received(self, data):
        self.buffer += data
        while True:
            if self.body_left:
                taken = min(self.body_left, len(self.buffer))
                self.buffer, self.body_left = self.buffer[taken:], self.body_left - taken
                if self.body_left:
                    return
                self.transport.write(OK)
            end = self.buffer.find(b"\\r\\n\\r\\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end].lower(), self.buffer[end + 4:]
            at = head.find(b"content-length:")
            self.body_left = int(head[at + 15:].split(b"\\r\\n", 1)[0]) if at >= 0 else 0
            if not self.body_left:
                self.transport.write(OK)
async def main():
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Endpoint, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await server.serve_forever()
uvloop.run(main())
"""


def start_receiver(port: int) -> subprocess.Popen[str]:
    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, str(port)], stdout=subprocess.PIPE, text=True
    )
    assert receiver.stdout is not None and receiver.stdout.readline().strip() == "ready"
    return receiver


def event_body(kind: str) -> str:
    if kind == "MO":
        return mo_body(
            at_ms=0, message="Oui", sender="33612345678", account_id=1, last_gsmsmsid="bench"
        ).decode()
    return dlr_body(
        status=MessageStatus.DELIVERED,
        at_ms=0,
        destination="33612345678",
        gsmsmsid="bench",
        ticket=1,
        country_code="FR",
    ).decode()


async def queue_events(platform: Platform, port: int, events: int, endpoints: int, kind: str):
    """An account with `endpoints` webhooks of type `kind` on the receiver, and `events`
    events spread over them, due now."""
    now_ms = int(time.time() * 1000)

    def prepare(conn) -> None:
        account = conn.execute(
            insert(accounts)
            .values(email="webhooks@bench.local", password_hash="x", created_at=0)
            .returning(accounts.c.id)
        ).scalar_one()
        hooks = [
            conn.execute(
                insert(webhooks)
                .values(
                    account_id=account,
                    type=kind,
                    url=f"http://127.0.0.1:{port}/hook/{n}",
                    signature="bench-secret",
                    created_at=0,
                )
                .returning(webhooks.c.id)
            ).scalar_one()
            for n in range(endpoints)
        ]
        body = event_body(kind)
        outbox.enqueue(
            conn,
            [
                outbox.NewEvent(hooks[i % endpoints], account, kind, body, now_ms)
                for i in range(events)
            ],
        )

    await platform.db.write(prepare)


def open_platform(database_url: str) -> Platform:
    settings = replace(
        Settings(database_url=database_url, dispatcher_enabled=False), webhook_allow_private=True
    )
    return Platform.open(settings)


async def sender_alone(database_url: str, events: int, endpoints: int, kind: str) -> float:
    """Events/s of this process's sender draining the outbox, nothing else running."""
    await upgrade(database_url)
    port = free_port()
    receiver = await asyncio.to_thread(start_receiver, port)
    platform = open_platform(database_url)
    try:
        await queue_events(platform, port, events, endpoints, kind)
        sender = WebhookSender(platform, batch_size=500)
        started = time.perf_counter()
        try:
            while sender.delivered < events:
                if not await sender.deliver_due():
                    break
        finally:
            await sender.stop()
        return sender.delivered / (time.perf_counter() - started)
    finally:
        await platform.close()
        receiver.terminate()
        receiver.wait()


async def delivered_between(platform: Platform, start_ms: int, end_ms: int) -> int:
    def count(conn) -> int:
        return conn.execute(
            select(func.count()).where(
                webhook_events.c.status == "delivered",
                webhook_events.c.delivered_at >= start_ms,
                webhook_events.c.delivered_at < end_ms,
            )
        ).scalar_one()

    return await platform.db.read(count)


def through_server(
    backend: str, events: int, endpoints: int, kind: str, seconds: float, sending: bool
) -> tuple[float, float]:
    """(events/s delivered by a `relais serve` process, sends/s it took meanwhile): events
    queued while it runs, counted over a window of `seconds` that starts 1 s later (its
    sender polls every 0.5 s) and, when `sending`, with SMS sends loading it all along."""
    os.environ["RELAIS_WEBHOOK_ALLOW_PRIVATE"] = "1"
    with tempfile.TemporaryDirectory() as tmp:
        server, token, port, env = start_server(backend, Path(tmp), True)
        receiver = start_receiver(receiver_port := free_port())
        try:

            async def measure() -> tuple[float, float]:
                platform = open_platform(env["RELAIS_DATABASE_URL"])
                try:
                    await queue_events(platform, receiver_port, events, endpoints, kind)
                    await asyncio.sleep(1.0)
                    start_ms = int(time.time() * 1000)
                    if sending:
                        load = await single_sends(port, token, 16, seconds)
                        sends = load.rate
                    else:
                        await asyncio.sleep(seconds)
                        sends = 0.0
                    end_ms = int(time.time() * 1000)
                    done = await delivered_between(platform, start_ms, end_ms)
                    if done >= events - 1:
                        print(f"  (all {events} events delivered before the window ended)")
                    return done / ((end_ms - start_ms) / 1000), sends
                finally:
                    await platform.close()

            return uvloop.run(measure())
        finally:
            receiver.terminate()
            server.terminate()
            receiver.wait()
            server.wait(timeout=30)


def database(backend: str, tmp: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp}/bench.db"
    asyncio.run(reset_postgres())
    return POSTGRES_URL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--endpoints", default="1,16", help="comma-separated endpoint counts")
    parser.add_argument("--type", choices=["DLR", "MO"], default="DLR", dest="kind")
    parser.add_argument(
        "--loop", choices=["uvloop", "asyncio"], default="uvloop", help="as relais serve: uvloop"
    )
    parser.add_argument("--server-seconds", type=float, default=8.0)
    parser.add_argument("--no-server", action="store_true", help="the sender alone only")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    run: Callable = uvloop.run if args.loop == "uvloop" else asyncio.run
    print(f"relais webhook delivery ({args.kind}), receiver in its own process, {args.loop}")
    for backend in backends:
        for endpoints in (int(n) for n in args.endpoints.split(",")):
            label = f"{backend:10s} {endpoints:2d} endpoint(s)"
            with tempfile.TemporaryDirectory() as tmp:
                url = database(backend, tmp)
                rate = run(sender_alone(url, args.events, endpoints, args.kind))
            print(f"{label}  sender alone         {rate:7.0f} events/s", flush=True)
            if args.no_server:
                continue
            for sending in (False, True):
                rate, sends = through_server(
                    backend, args.events * 2, endpoints, args.kind, args.server_seconds, sending
                )
                what = f"server while sending ({sends:.0f} sends/s)" if sending else "server idle"
                print(f"{label}  {what:21s} {rate:7.0f} events/s", flush=True)


if __name__ == "__main__":
    main()
