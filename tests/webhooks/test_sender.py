"""The webhook sender against a real HTTP receiver on loopback, on both backends: raw JSON,
signed (checked with the standardwebhooks library and with plain HMAC), retried with the same
webhook-id until a 2xx and never after it, waiting while the receiver is down, a gone
endpoint paused, private addresses refused unless allowed, redirects not followed."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from standardwebhooks import Webhook
from tests.support import fetch_all, fetch_value, free_port, make_customer, wait_until
from tests.webhooks.receiver import Receiver

from relais.services.platform import Platform
from relais.store import webhook_outbox as outbox
from relais.store.tables import webhook_attempts, webhook_events, webhooks
from relais.webhooks.sender import WebhookSender

SECRET = "mysignature123"
BODY = '{"date":"2018-01-16T11:55:12+01:00","status":3,"destination":"33612345678"}'
START = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(platform: Platform) -> Clock:
    clock = Clock()
    platform.clock = clock
    platform.settings = replace(
        platform.settings, webhook_allow_private=True, webhook_retry_schedule=(5, 60, 600)
    )
    return clock


@contextlib.asynccontextmanager
async def sending(platform: Platform) -> AsyncIterator[WebhookSender]:
    """A sender of this platform's outbox, stopped (its HTTP client closed) afterwards."""
    sender = WebhookSender(platform)
    try:
        yield sender
    finally:
        await sender.stop()


async def add_webhook(platform, url: str, *, signature: str | None = SECRET) -> int:
    """A DLR webhook of a new account (account ids start at 1 in each test)."""
    shop = await make_customer(platform)

    def add(conn) -> int:
        return conn.execute(
            insert(webhooks)
            .values(
                account_id=shop.account.id,
                type="DLR",
                url=url,
                signature=signature,
                created_at=0,
            )
            .returning(webhooks.c.id)
        ).scalar_one()

    return await platform.db.write(add)


async def enqueue(platform, hook: int, bodies: list[str], clock: Clock) -> None:
    at = int(clock.now.timestamp() * 1000)
    owner = await fetch_value(platform, select(webhooks.c.account_id).where(webhooks.c.id == hook))
    events = [outbox.NewEvent(hook, owner, "DLR", body, at) for body in bodies]
    await platform.db.write(lambda conn: outbox.enqueue(conn, events))


async def statuses(platform) -> list[str]:
    rows = await fetch_all(platform, select(webhook_events.c.status).order_by(webhook_events.c.id))
    return [row[0] for row in rows]


async def test_an_event_is_posted_raw_and_signed_both_ways(platform, clock):
    clock.now = datetime.now(UTC)  # the library refuses timestamps more than 5 min off
    async with Receiver() as receiver:
        hook = await add_webhook(platform, receiver.url)
        await enqueue(platform, hook, [BODY], clock)
        async with sending(platform) as sender:
            assert await sender.deliver_due() == 1
    [request] = receiver.received
    assert (request.method, request.target, request.body) == ("POST", "/hook", BODY.encode())
    assert request.headers["content-type"] == "application/json"
    expected = hmac.new(SECRET.encode(), BODY.encode(), hashlib.sha256).hexdigest()
    assert request.headers["x-smsfactor-signature"] == expected
    verifier = Webhook(base64.b64encode(SECRET.encode()).decode())
    verifier.verify(request.body, request.headers)  # raises when the signature is wrong
    assert await statuses(platform) == ["delivered"]
    assert await fetch_value(platform, select(webhooks.c.last_http_code)) == 200


async def test_no_signature_set_means_no_signature_headers(platform, clock):
    async with Receiver() as receiver:
        hook = await add_webhook(platform, receiver.url, signature=None)
        await enqueue(platform, hook, [BODY], clock)
        async with sending(platform) as sender:
            await sender.deliver_due()
    headers = receiver.received[0].headers
    assert "x-smsfactor-signature" not in headers and "webhook-signature" not in headers
    assert headers["webhook-id"]


async def test_a_receiver_failing_three_times_gets_the_event_once_with_one_id(platform, clock):
    async with Receiver(answers=[500, 503, 502]) as receiver:
        hook = await add_webhook(platform, receiver.url)
        await enqueue(platform, hook, [BODY], clock)
        async with sending(platform) as sender:
            for _ in range(8):
                await sender.deliver_due()
                clock.advance(700)
    assert [r.body for r in receiver.received] == [BODY.encode()] * 4
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert await statuses(platform) == ["delivered"]
    codes = await fetch_all(
        platform, select(webhook_attempts.c.attempt, webhook_attempts.c.http_code)
    )
    assert sorted(tuple(r) for r in codes) == [(1, 500), (2, 503), (3, 502), (4, 200)]


async def test_retries_follow_the_schedule(platform, clock):
    async with Receiver(default=500) as receiver:
        hook = await add_webhook(platform, receiver.url)
        await enqueue(platform, hook, [BODY], clock)
        async with sending(platform) as sender:
            await sender.deliver_due()
            clock.advance(3)  # the first retry is ~5 s away
            await sender.deliver_due()
            assert len(receiver.received) == 1
            clock.advance(4)
            await sender.deliver_due()
            assert len(receiver.received) == 2


async def test_events_wait_while_the_receiver_is_down_and_nothing_is_lost(platform, clock):
    port = free_port()
    hook = await add_webhook(platform, f"http://127.0.0.1:{port}/hook")
    await enqueue(platform, hook, [BODY, BODY.replace("3", "2")], clock)
    async with sending(platform) as sender:
        await sender.deliver_due()
        assert await statuses(platform) == ["pending", "pending"]
        logged = await fetch_all(
            platform, select(webhook_attempts.c.http_code, webhook_attempts.c.error)
        )
        # The second event waits behind the first: only one attempt was made.
        assert len(logged) == 1 and logged[0][0] is None and logged[0][1]
    async with Receiver() as receiver:
        await platform.db.write(
            lambda conn: conn.execute(webhooks.update().values(url=receiver.url))
        )
        async with sending(platform) as sender:
            clock.advance(60)
            await sender.deliver_due()
    assert [r.body for r in receiver.received] == [
        BODY.encode(),
        BODY.replace("3", "2").encode(),
    ]
    assert await statuses(platform) == ["delivered", "delivered"]


async def test_a_gone_endpoint_pauses_the_webhook(platform, clock):
    async with Receiver(default=410) as receiver:
        hook = await add_webhook(platform, receiver.url)
        await enqueue(platform, hook, [BODY], clock)
        async with sending(platform) as sender:
            await sender.deliver_due()
            clock.advance(3600)
            assert await sender.deliver_due() == 0
    assert len(receiver.received) == 1
    assert await fetch_value(platform, select(webhooks.c.status)) == "paused"
    assert await statuses(platform) == ["pending"]


async def test_private_addresses_are_refused_unless_allowed(platform, clock):
    platform.settings = replace(platform.settings, webhook_allow_private=False)
    async with Receiver() as receiver:
        hook = await add_webhook(platform, receiver.url)
        await enqueue(platform, hook, [BODY], clock)
        async with sending(platform) as sender:
            await sender.deliver_due()
    assert receiver.received == []
    [(code, error)] = await fetch_all(
        platform, select(webhook_attempts.c.http_code, webhook_attempts.c.error)
    )
    assert code is None and "127.0.0.1" in error
    assert await statuses(platform) == ["pending"]


async def test_redirects_are_not_followed(platform, clock):
    async with Receiver(default=302) as receiver:
        hook = await add_webhook(platform, receiver.url)
        await enqueue(platform, hook, [BODY], clock)
        async with sending(platform) as sender:
            await sender.deliver_due()
    assert len(receiver.received) == 1
    assert await fetch_value(platform, select(webhook_attempts.c.http_code)) == 302
    assert await statuses(platform) == ["pending"]


async def test_retries_stop_when_the_schedule_is_exhausted(platform, clock):
    async with Receiver(default=500) as receiver:
        hook = await add_webhook(platform, receiver.url)
        await enqueue(platform, hook, [BODY], clock)
        async with sending(platform) as sender:
            for _ in range(6):
                await sender.deliver_due()
                clock.advance(1000)
    # The first try and one retry per entry of the schedule (5, 60, 600).
    assert len(receiver.received) == 4
    assert await statuses(platform) == ["failed"]


class CountingReceiver(Receiver):
    """A receiver that also counts the connections made to it."""

    connections: int = 0

    async def _serve(self, reader, writer) -> None:
        self.connections += 1
        await super()._serve(reader, writer)


async def add_typed_webhook(platform, url: str, kind: str) -> int:
    hook = await add_webhook(platform, url)
    await platform.db.write(
        lambda conn: conn.execute(webhooks.update().where(webhooks.c.id == hook).values(type=kind))
    )
    return hook


async def test_dlr_events_go_over_several_connections_once_one_is_delivered(platform, clock):
    async with CountingReceiver(hang_s=0.02) as receiver:
        hook = await add_webhook(platform, receiver.url)
        await enqueue(platform, hook, [f'{{"n":{n}}}' for n in range(12)], clock)
        async with sending(platform) as sender:
            assert await sender.deliver_due() == 12
    assert receiver.connections == sender.endpoint_width > 1
    assert sorted(r.body for r in receiver.received) == sorted(
        f'{{"n":{n}}}'.encode() for n in range(12)
    )
    assert await statuses(platform) == ["delivered"] * 12


async def test_mo_events_go_one_after_the_other_in_order_on_one_connection(platform, clock):
    async with CountingReceiver(hang_s=0.01, answers=[200, 200, 500]) as receiver:
        hook = await add_typed_webhook(platform, receiver.url, "MO")
        await platform.db.write(
            lambda conn: outbox.enqueue(
                conn,
                [
                    outbox.NewEvent(
                        hook, 1, "MO", f'{{"n":{n}}}', int(clock.now.timestamp() * 1000)
                    )
                    for n in range(6)
                ],
            )
        )
        async with sending(platform) as sender:
            await sender.deliver_due()
            assert receiver.connections == 1
            # The third failed: the rest wait behind it, untried.
            assert [r.body for r in receiver.received] == [b'{"n":0}', b'{"n":1}', b'{"n":2}']
            clock.advance(700)
            await sender.deliver_due()
    assert [r.body for r in receiver.received][3:] == [f'{{"n":{n}}}'.encode() for n in range(2, 6)]
    assert await statuses(platform) == ["delivered"] * 6


async def test_a_long_answer_is_read_no_further_than_a_few_kb(platform, clock):
    class Chatty(Receiver):
        async def _serve(self, reader, writer) -> None:
            await reader.read(65536)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 10000000\r\n\r\n" + b"x" * 65536)
            await writer.drain()
            await reader.read()  # the rest never comes: until the sender hangs up
            writer.close()

    async with Chatty() as receiver:
        hook = await add_webhook(platform, receiver.url)
        await enqueue(platform, hook, [BODY], clock)
        async with sending(platform) as sender:
            sender.timeout_s = 0.1
            await sender.deliver_due()
    assert await statuses(platform) == ["delivered"]


async def test_a_sender_stopped_mid_delivery_stops_and_records_what_was_answered(platform, clock):
    async with Receiver(hang_s=0.05) as receiver:
        hook = await add_webhook(platform, receiver.url)
        await enqueue(platform, hook, [f'{{"n":{n}}}' for n in range(40)], clock)
        sender = WebhookSender(platform)
        sender.start()

        async def ten_received() -> bool:
            return len(receiver.received) >= 10

        await wait_until(ten_received)
        await asyncio.wait_for(sender.stop(), 10)  # a hang here is the failure
    delivered = (await statuses(platform)).count("delivered")
    # Answered but unrecorded are at most those in flight when it stopped.
    assert 10 - sender.endpoint_width <= delivered <= len(receiver.received)
