"""kill -9 of a `relais serve` process in the middle of delivering webhooks, then a restart:
every event reaches the receiver, and none whose success was recorded is sent again (an
event answered 2xx in the instant before the kill may come twice: at least once, with its
webhook-id to drop the repeat). Real processes, a real receiver, both backends."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter

from sqlalchemy import insert, select
from tests.support import fetch_all, kill, make_customer, serving_process, wait_until
from tests.webhooks.receiver import Receiver

from relais.store import webhook_outbox as outbox
from relais.store.tables import webhook_events, webhooks

EVENTS = 40


async def statuses(platform) -> dict[int, str]:
    rows = await fetch_all(platform, select(webhook_events.c.id, webhook_events.c.status))
    return {row[0]: row[1] for row in rows}


async def test_a_killed_sender_loses_nothing_and_repeats_nothing_it_recorded(
    platform, database_url
):
    shop = await make_customer(platform)
    # Slow answers (8 in flight, 0.2 s each: ~1 s for all) leave the kill a wide window
    # between the first quarter received and the last event recorded, on a loaded machine too.
    async with Receiver(hang_s=0.2) as receiver:
        now_ms = int(time.time() * 1000)

        def prepare(conn) -> None:
            hook = conn.execute(
                insert(webhooks)
                .values(account_id=shop.account.id, type="DLR", url=receiver.url, created_at=0)
                .returning(webhooks.c.id)
            ).scalar_one()
            outbox.enqueue(
                conn,
                [
                    outbox.NewEvent(hook, shop.account.id, "DLR", json.dumps({"n": n}), now_ms)
                    for n in range(EVENTS)
                ],
            )

        await platform.db.write(prepare)
        first = await serving_process(database_url, RELAIS_CLAIM_LEASE_SECONDS="2")
        try:

            async def mid_delivery() -> bool:
                return len(receiver.received) >= EVENTS // 4

            await wait_until(mid_delivery, seconds=30)
        finally:
            kill(first, signal.SIGKILL)  # no cleanup: claims are left as they are
            await first.wait()
        recorded = {i for i, status in (await statuses(platform)).items() if status == "delivered"}
        assert 0 < len(recorded) < EVENTS
        second = await serving_process(database_url, RELAIS_CLAIM_LEASE_SECONDS="2")
        try:

            async def all_delivered() -> bool:
                return set((await statuses(platform)).values()) == {"delivered"}

            await wait_until(all_delivered, seconds=60)
        finally:
            kill(second, signal.SIGTERM)
            await second.wait()
    times = Counter(json.loads(r.body)["n"] for r in receiver.received)
    assert set(times) == set(range(EVENTS))  # nothing lost
    ids = {
        row[0]: json.loads(row[1])["n"]
        for row in await fetch_all(platform, select(webhook_events.c.id, webhook_events.c.payload))
    }
    assert all(times[ids[i]] == 1 for i in recorded)  # a recorded success is never repeated
    # Only what was in flight at the kill may have come twice.
    assert sum(n - 1 for n in times.values()) <= EVENTS - len(recorded)
