"""The dispatcher moves queued messages through the carrier simulator to a final status."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from tests.support import fetch_all, make_customer

from relais.core.instant import to_ms
from relais.core.status import MessageStatus
from relais.delivery.connectors.simulator import CarrierSimulator
from relais.delivery.dispatcher import Dispatcher
from relais.services.sending import Recipient, Submission, send
from relais.store import outbound
from relais.store.tables import messages


def numbers(count: int, base: int = 50000000) -> list[Recipient]:
    return [Recipient(f"336{base + i:08d}") for i in range(count)]


async def statuses(platform) -> list[str]:
    return [
        r[0] for r in await fetch_all(platform, select(messages.c.status).order_by(messages.c.id))
    ]


async def wait_until(predicate, seconds: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_queued_messages_are_delivered_through_the_simulator(platform):
    customer = await make_customer(platform, credits=1000)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(120)))
    dispatcher = Dispatcher(platform, CarrierSimulator(receipt_delay_ms=10), batch_size=50)
    await dispatcher.start()
    try:

        async def all_delivered() -> bool:
            return set(await statuses(platform)) == {"delivered"}

        await wait_until(all_delivered)
    finally:
        await dispatcher.stop()
    rows = await fetch_all(platform, select(messages.c.carrier_id, messages.c.attempts))
    assert len({r.carrier_id for r in rows}) == 120
    assert {r.attempts for r in rows} == {1}


async def test_outcome_mix_decides_final_statuses(platform):
    customer = await make_customer(platform, credits=1000)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(200)))
    simulator = CarrierSimulator(
        receipt_delay_ms=0,
        outcomes={"delivered": 0.5, "not_delivered": 0.3, "expired": 0.2},
        seed=7,
    )
    dispatcher = Dispatcher(platform, simulator, batch_size=100)
    await dispatcher.start()
    try:

        async def all_final() -> bool:
            return not set(await statuses(platform)) & {"queued", "sending", "sent"}

        await wait_until(all_final)
    finally:
        await dispatcher.stop()
    final = await statuses(platform)
    assert set(final) == {"delivered", "not_delivered", "expired"}
    assert 60 < final.count("delivered") < 140


async def test_scheduled_messages_wait_for_their_time(platform):
    now = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
    platform.clock = lambda: now
    customer = await make_customer(platform, credits=10)
    await send(
        platform,
        account=customer.account,
        submission=Submission("Later", numbers(2), delay="2030-01-01T13:00:00+00:00"),
    )
    dispatcher = Dispatcher(platform, CarrierSimulator(receipt_delay_ms=0))
    assert await dispatcher.dispatch_once() == 0
    assert await statuses(platform) == ["queued", "queued"]
    now = now + timedelta(hours=1)
    assert await dispatcher.dispatch_once() == 2
    assert set(await statuses(platform)) == {"sent"}


async def test_claims_expire_so_a_dead_worker_loses_nothing(platform):
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(3)))
    start = to_ms(datetime.now(UTC))
    first = await platform.db.write(
        lambda conn: outbound.claim_due(conn, now_ms=start, limit=10, lease_ms=1000)
    )
    assert len(first) == 3
    # The worker dies here. Within the lease nobody else takes the rows...
    during = await platform.db.write(
        lambda conn: outbound.claim_due(conn, now_ms=start + 500, limit=10, lease_ms=1000)
    )
    assert during == []
    # ...after it, they are claimed again, with the attempt counted.
    after = await platform.db.write(
        lambda conn: outbound.claim_due(conn, now_ms=start + 1500, limit=10, lease_ms=1000)
    )
    assert sorted(m.id for m in after) == sorted(m.id for m in first)
    assert {m.attempts for m in after} == {2}


async def test_status_never_moves_backwards(platform):
    customer = await make_customer(platform, credits=10)
    await send(platform, account=customer.account, submission=Submission("Hi", numbers(1)))
    now = to_ms(datetime.now(UTC))
    [message] = await platform.db.write(
        lambda conn: outbound.claim_due(conn, now_ms=now, limit=10, lease_ms=1000)
    )
    sent = outbound.SubmitOutcome(message.id, "sim", MessageStatus.SENT, carrier_id="c1")
    await platform.db.write(lambda conn: outbound.record_submits(conn, [sent], now_ms=now))
    delivered = outbound.Receipt("sim", "c1", MessageStatus.DELIVERED, now + 1)
    assert await platform.db.write(lambda conn: outbound.apply_receipts(conn, [delivered])) == 1
    # A late SENT and a contradicting receipt change nothing.
    await platform.db.write(lambda conn: outbound.record_submits(conn, [sent], now_ms=now + 2))
    expired = outbound.Receipt("sim", "c1", MessageStatus.EXPIRED, now + 3)
    assert await platform.db.write(lambda conn: outbound.apply_receipts(conn, [expired])) == 0
    assert await statuses(platform) == ["delivered"]
