"""Bulk sends to random numbers into a database that already holds many messages, in process.

The HTTP benches send to consecutive numbers, so each index on the destination grows at its
right edge and a commit writes one page of it. Real recipients are spread over the whole
numbering plan: once the table is larger than a few pages, every message lands on a page of
its own in each such index, and every one of those pages goes to the WAL at commit. This
bench shows that cost: it fills the database with --history messages (bulk sends of 500
random French mobiles), then times --requests more bulk sends at --concurrency through the
service POST /send calls (no HTTP), and prints recipients/s and CPU per recipient.

    .venv/bin/python bench/bulk_history.py [--backend sqlite|postgresql] [--history 500000]
        [--requests 200] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import POSTGRES_URL, reset_postgres

from relais.api.smsfactor import translate
from relais.config import Settings
from relais.services import accounts
from relais.services.platform import Platform
from relais.services.sending import numbers
from relais.store.migrate import upgrade

RECIPIENTS = 500


async def bench(url: str, history: int, requests: int, concurrency: int) -> str:
    await upgrade(url)
    platform = Platform.open(Settings(database_url=url, dispatcher_enabled=False))
    try:
        await accounts.create_account(
            platform,
            actor="bench",
            email="bench@relais.local",
            password="benchmark-password",
            credits=10**12,
            country="FR",
        )
        account = await accounts.find_account(platform, email="bench@relais.local")
        rng = random.Random(16)

        async def bulk_send() -> None:
            gsm = [{"value": str(33600000000 + rng.randrange(10**8))} for _ in range(RECIPIENTS)]
            body = {"sms": {"message": {"text": "Bulk hello"}, "recipients": {"gsm": gsm}}}
            submission = translate.campaign_submission(body)
            await numbers.send(platform, account=account, submission=submission)

        async def run(count: int) -> None:
            left = count

            async def client() -> None:
                nonlocal left
                while left > 0:
                    left -= 1
                    await bulk_send()

            await asyncio.gather(*(client() for _ in range(concurrency)))

        started = time.monotonic()
        for done in range(0, history, 100 * RECIPIENTS):
            await run(min(100, (history - done) // RECIPIENTS))
            print(f"  history: {done + 100 * RECIPIENTS:,} messages", file=sys.stderr, flush=True)
        filled = time.monotonic() - started
        cpu, wall = time.process_time(), time.perf_counter()
        await run(requests)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        await platform.close()
    sent = requests * RECIPIENTS
    return (
        f"history {history:,} (filled in {filled:.0f} s): {sent / wall:,.0f} recipients/s at "
        f"c={concurrency}, {cpu / sent * 1e6:.1f} µs CPU and {wall / sent * 1e6:.1f} µs wall "
        f"per recipient"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--history", type=int, default=500_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "sqlite":
            url = f"sqlite:///{tmp}/bench.db"
        else:
            asyncio.run(reset_postgres())
            url = POSTGRES_URL
        line = asyncio.run(bench(url, args.history, args.requests, args.concurrency))
    print(f"{args.backend:10s} bulk500 to random numbers, {line}")


if __name__ == "__main__":
    main()
