"""The webhook outbox on both backends: events claimed under a lease, once each; settled per
attempt; paused webhooks keep their events waiting; several claimers never share an event."""

from __future__ import annotations

import asyncio

from sqlalchemy import insert, select
from tests.support import fetch_all, fetch_value, make_customer

from relais.store import webhook_outbox as outbox
from relais.store.tables import webhook_attempts, webhook_events, webhooks

NOW = 1_800_000_000_000
LEASE = 60_000


async def add_webhook(platform, account_id: int, *, status: str = "live") -> int:
    def add(conn) -> int:
        return conn.execute(
            insert(webhooks)
            .values(
                account_id=account_id,
                type="DLR",
                url="http://127.0.0.1:9/hook",
                signature="s3cret",
                status=status,
                created_at=NOW,
            )
            .returning(webhooks.c.id)
        ).scalar_one()

    return await platform.db.write(add)


async def enqueue(platform, webhook_id: int, account_id: int, n: int, *, at: int = NOW) -> None:
    events = [
        outbox.NewEvent(webhook_id, account_id, "DLR", f'{{"n":{i}}}', at + i) for i in range(n)
    ]
    await platform.db.write(lambda conn: outbox.enqueue(conn, events))


def claim(now: int = NOW + 10, limit: int = 100):
    return lambda conn: outbox.claim_due(conn, now_ms=now, limit=limit, lease_ms=LEASE)


async def test_due_events_are_claimed_oldest_first_with_their_target(platform):
    shop = await make_customer(platform)
    hook = await add_webhook(platform, shop.account.id)
    await enqueue(platform, hook, shop.account.id, 3)
    due = await platform.db.write(claim())
    assert [e.payload for e in due] == ['{"n":0}', '{"n":1}', '{"n":2}']
    first = due[0]
    assert (first.webhook_id, first.url, first.signature, first.type, first.attempt) == (
        hook,
        "http://127.0.0.1:9/hook",
        "s3cret",
        "DLR",
        1,
    )


async def test_a_claimed_event_is_not_claimed_again_until_its_lease_lapses(platform):
    shop = await make_customer(platform)
    hook = await add_webhook(platform, shop.account.id)
    await enqueue(platform, hook, shop.account.id, 1)
    assert len(await platform.db.write(claim())) == 1
    assert await platform.db.write(claim(now=NOW + LEASE)) == []
    again = await platform.db.write(claim(now=NOW + 11 + LEASE))
    assert [e.attempt for e in again] == [2]


async def test_events_not_yet_due_wait(platform):
    shop = await make_customer(platform)
    hook = await add_webhook(platform, shop.account.id)
    await enqueue(platform, hook, shop.account.id, 1, at=NOW + 5_000)
    assert await platform.db.write(claim(now=NOW)) == []
    assert len(await platform.db.write(claim(now=NOW + 5_000))) == 1


async def test_a_delivered_event_is_never_claimed_again_and_its_attempt_is_logged(platform):
    shop = await make_customer(platform)
    hook = await add_webhook(platform, shop.account.id)
    await enqueue(platform, hook, shop.account.id, 1)
    [event] = await platform.db.write(claim())
    attempt = outbox.Attempt(event, NOW + 20, 7, http_code=204, delivered=True)
    await platform.db.write(lambda conn: outbox.record_attempts(conn, [attempt]))
    assert await platform.db.write(claim(now=NOW + 10 * LEASE)) == []
    status, delivered_at = (
        await fetch_all(platform, select(webhook_events.c.status, webhook_events.c.delivered_at))
    )[0]
    assert (status, delivered_at) == ("delivered", NOW + 20)
    logged = await fetch_all(
        platform,
        select(
            webhook_attempts.c.event_id,
            webhook_attempts.c.attempt,
            webhook_attempts.c.http_code,
            webhook_attempts.c.latency_ms,
        ),
    )
    assert [tuple(r) for r in logged] == [(event.id, 1, 204, 7)]
    assert await fetch_value(platform, select(webhooks.c.last_http_code)) == 204


async def test_a_late_outcome_never_undoes_a_delivery(platform):
    """A sender whose lease lapsed reports after another delivered the event."""
    shop = await make_customer(platform)
    hook = await add_webhook(platform, shop.account.id)
    await enqueue(platform, hook, shop.account.id, 1)
    [slow] = await platform.db.write(claim())
    [fast] = await platform.db.write(claim(now=NOW + 11 + LEASE))
    delivered = outbox.Attempt(fast, NOW + LEASE + 20, 5, http_code=200, delivered=True)
    retry = outbox.Attempt(slow, NOW + LEASE + 30, 9000, error="timeout", next_attempt_at=NOW)
    await platform.db.write(lambda conn: outbox.record_attempts(conn, [delivered]))
    await platform.db.write(lambda conn: outbox.record_attempts(conn, [retry]))
    settled = await fetch_all(
        platform,
        select(
            webhook_events.c.status, webhook_events.c.delivered_at, webhook_events.c.next_attempt_at
        ),
    )
    assert [tuple(r) for r in settled] == [("delivered", NOW + LEASE + 20, NOW)]
    # Both attempts happened, so both are logged.
    assert len(await fetch_all(platform, select(webhook_attempts.c.id))) == 2


async def test_a_failed_attempt_is_due_again_then_fails_for_good(platform):
    shop = await make_customer(platform)
    hook = await add_webhook(platform, shop.account.id)
    await enqueue(platform, hook, shop.account.id, 1)
    [event] = await platform.db.write(claim())
    again = outbox.Attempt(event, NOW + 20, 3, http_code=503, next_attempt_at=NOW + 5_020)
    await platform.db.write(lambda conn: outbox.record_attempts(conn, [again]))
    assert await platform.db.write(claim(now=NOW + 5_019)) == []
    [event] = await platform.db.write(claim(now=NOW + 5_020))
    assert event.attempt == 2
    last = outbox.Attempt(event, NOW + 5_030, 3, http_code=500)
    await platform.db.write(lambda conn: outbox.record_attempts(conn, [last]))
    assert await fetch_value(platform, select(webhook_events.c.status)) == "failed"
    assert await platform.db.write(claim(now=NOW + 100 * LEASE)) == []


async def test_a_gone_endpoint_pauses_its_webhook_and_its_events_wait(platform):
    shop = await make_customer(platform)
    hook = await add_webhook(platform, shop.account.id)
    await enqueue(platform, hook, shop.account.id, 2)
    [first, _] = await platform.db.write(claim(limit=1)) + [None]
    gone = outbox.Attempt(
        first, NOW + 20, 4, http_code=410, next_attempt_at=NOW + 30, pause_webhook=True
    )
    await platform.db.write(lambda conn: outbox.record_attempts(conn, [gone]))
    assert await fetch_value(platform, select(webhooks.c.status)) == "paused"
    assert await platform.db.write(claim(now=NOW + 100)) == []
    await platform.db.write(lambda conn: conn.execute(webhooks.update().values(status="live")))
    assert len(await platform.db.write(claim(now=NOW + 100))) == 2


async def test_paused_webhooks_keep_their_events_and_others_go_on(platform):
    shop = await make_customer(platform)
    live = await add_webhook(platform, shop.account.id)
    paused = await add_webhook(platform, shop.account.id, status="paused")
    await enqueue(platform, paused, shop.account.id, 2)
    await enqueue(platform, live, shop.account.id, 1)
    due = await platform.db.write(claim())
    assert [e.webhook_id for e in due] == [live]


async def test_concurrent_claimers_never_share_an_event(platform):
    shop = await make_customer(platform)
    hook = await add_webhook(platform, shop.account.id)
    await enqueue(platform, hook, shop.account.id, 300)
    batches = await asyncio.gather(
        *(platform.db.write(claim(now=NOW + 1_000, limit=40)) for _ in range(10))
    )
    ids = [e.id for batch in batches for e in batch]
    assert len(ids) == len(set(ids)) == 300


async def test_an_event_left_untried_keeps_its_attempt_and_logs_nothing(platform):
    shop = await make_customer(platform)
    hook = await add_webhook(platform, shop.account.id)
    await enqueue(platform, hook, shop.account.id, 1)
    [event] = await platform.db.write(claim())
    untried = outbox.Attempt(event, NOW + 20, 0, next_attempt_at=NOW + 500, tried=False)
    await platform.db.write(lambda conn: outbox.record_attempts(conn, [untried]))
    assert await fetch_all(platform, select(webhook_attempts.c.id)) == []
    assert await platform.db.write(claim(now=NOW + 499)) == []
    [again] = await platform.db.write(claim(now=NOW + 500))
    assert again.attempt == 1


async def test_one_batch_settles_each_event_by_its_own_outcome(platform):
    """Outcomes of several webhooks committed together: each event gets its own."""
    shop = await make_customer(platform)
    first = await add_webhook(platform, shop.account.id)
    second = await add_webhook(platform, shop.account.id)
    await enqueue(platform, first, shop.account.id, 3)
    await enqueue(platform, second, shop.account.id, 2, at=NOW + 3)
    ok, retry, failed, untried, gone = await platform.db.write(claim())
    batch = [
        outbox.Attempt(ok, NOW + 20, 1, http_code=200, delivered=True),
        outbox.Attempt(retry, NOW + 21, 2, http_code=503, next_attempt_at=NOW + 900),
        outbox.Attempt(failed, NOW + 22, 3, error="refused"),
        outbox.Attempt(untried, NOW + 23, 0, next_attempt_at=NOW + 950, tried=False),
        outbox.Attempt(
            gone, NOW + 24, 4, http_code=410, next_attempt_at=NOW + 990, pause_webhook=True
        ),
    ]
    await platform.db.write(lambda conn: outbox.record_attempts(conn, batch))
    rows = await fetch_all(
        platform,
        select(
            webhook_events.c.status,
            webhook_events.c.delivered_at,
            webhook_events.c.next_attempt_at,
            webhook_events.c.attempts,
            webhook_events.c.claimed_until,
        ).order_by(webhook_events.c.id),
    )
    assert [tuple(r) for r in rows] == [
        ("delivered", NOW + 20, NOW, 1, None),
        ("pending", None, NOW + 900, 1, None),
        ("failed", None, NOW + 2, 1, None),
        ("pending", None, NOW + 950, 0, None),
        ("pending", None, NOW + 990, 1, None),
    ]
    logged = await fetch_all(
        platform, select(webhook_attempts.c.event_id).order_by(webhook_attempts.c.id)
    )
    assert [r[0] for r in logged] == [ok.id, retry.id, failed.id, gone.id]
    hooks = await fetch_all(
        platform,
        select(webhooks.c.status, webhooks.c.last_http_code).order_by(webhooks.c.id),
    )
    assert [tuple(r) for r in hooks] == [("live", 503), ("paused", 410)]
