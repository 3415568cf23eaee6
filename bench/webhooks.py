"""Webhook delivery benchmark: events queued in the outbox, delivered by the sender to local
receivers in another process, over loopback.

Prints events delivered per second (each a signed POST answered 200 and settled in the
database) for one receiving endpoint and for several, on each backend.

    .venv/bin/python bench/webhooks.py [--backend sqlite|postgresql|both] [--events 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).parent))
from harness import POSTGRES_URL, free_port, reset_postgres

from relais.config import Settings
from relais.core.events import dlr_body
from relais.core.status import MessageStatus
from relais.services.platform import Platform
from relais.store import webhook_outbox as outbox
from relais.store.migrate import upgrade
from relais.store.tables import accounts, webhooks
from relais.webhooks.sender import WebhookSender

# A receiver of its own process: answers every request 200 at once (h11, keep-alive).
RECEIVER = """
import asyncio, sys, h11
async def serve(reader, writer):
    conn = h11.Connection(h11.SERVER)
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            if not data:
                break
            conn.receive_data(data)
        elif isinstance(event, h11.EndOfMessage):
            ok = h11.Response(status_code=200, headers=[("content-length", "0")])
            writer.write(conn.send(ok))
            writer.write(conn.send(h11.EndOfMessage()))
            conn.start_next_cycle()
        elif isinstance(event, h11.ConnectionClosed):
            break
    writer.close()
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", int(sys.argv[1]))
    print("ready", flush=True)
    await server.serve_forever()
asyncio.run(main())
"""


def start_receiver(port: int) -> subprocess.Popen[str]:
    receiver = subprocess.Popen(
        [sys.executable, "-c", RECEIVER, str(port)], stdout=subprocess.PIPE, text=True
    )
    assert receiver.stdout is not None and receiver.stdout.readline().strip() == "ready"
    return receiver


async def run(database_url: str, events: int, endpoints: int) -> float:
    await upgrade(database_url)
    port = free_port()
    receiver = await asyncio.to_thread(start_receiver, port)
    settings = replace(
        Settings(database_url=database_url, dispatcher_enabled=False), webhook_allow_private=True
    )
    platform = Platform.open(settings)
    try:

        def prepare(conn) -> None:
            account = conn.execute(
                insert(accounts)
                .values(email="bench@example.com", password_hash="x", created_at=0)
                .returning(accounts.c.id)
            ).scalar_one()
            hooks = [
                conn.execute(
                    insert(webhooks)
                    .values(
                        account_id=account,
                        type="DLR",
                        url=f"http://127.0.0.1:{port}/hook/{n}",
                        signature="bench-secret",
                        created_at=0,
                    )
                    .returning(webhooks.c.id)
                ).scalar_one()
                for n in range(endpoints)
            ]
            body = dlr_body(
                status=MessageStatus.DELIVERED,
                at_ms=0,
                destination="33612345678",
                gsmsmsid="bench",
                ticket=1,
                country_code="FR",
            ).decode()
            outbox.enqueue(
                conn,
                [
                    outbox.NewEvent(hooks[i % endpoints], account, "DLR", body, 0)
                    for i in range(events)
                ],
            )

        await platform.db.write(prepare)
        sender = WebhookSender(platform, batch_size=500)
        started = time.perf_counter()
        done = 0
        try:
            while done < events:
                tried = await sender.deliver_due()
                if not tried:
                    break
                done = sender.delivered
        finally:
            await sender.stop()
        elapsed = time.perf_counter() - started
        return sender.delivered / elapsed
    finally:
        await platform.close()
        receiver.terminate()
        receiver.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    print("relais webhook delivery, local receiver in its own process, 2 cores")
    for backend in backends:
        for endpoints in (1, 16):
            with tempfile.TemporaryDirectory() as tmp:
                if backend == "sqlite":
                    url = f"sqlite:///{tmp}/bench.db"
                else:
                    asyncio.run(reset_postgres())
                    url = POSTGRES_URL
                rate = asyncio.run(run(url, args.events, endpoints))
            print(
                f"{backend:10s} {args.events} events to {endpoints:2d} endpoint(s): "
                f"{rate:8.0f} delivered/s"
            )


if __name__ == "__main__":
    main()
